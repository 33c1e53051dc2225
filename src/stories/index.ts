/**
 * The registry of stories: notebook name → its story module (dynamic imports, so a page loads only the
 * story it shows). A new notebook with a story adds one line here. Browser-safe.
 */
import type { AnyStory } from './story.js';

export const STORIES: Readonly<Record<string, () => Promise<AnyStory>>> = {
  '00-platform-demo': async () => (await import('./00-platform-demo.js')).default,
  '10-linear-sgd-rate': async () => (await import('./10-linear-sgd-rate.js')).default,
  '11-linear-kfac': async () => (await import('./11-linear-kfac.js')).default,
  '12-linear-family': async () => (await import('./12-linear-family.js')).default,
  '20-single-index-spike': async () => (await import('./20-single-index-spike.js')).default,
  '21-single-index-test-error': async () => (await import('./21-single-index-test-error.js')).default,
};

export function storyNames(): string[] { return Object.keys(STORIES).sort(); }

export async function loadStory(notebook: string): Promise<AnyStory> {
  const load = Object.prototype.hasOwnProperty.call(STORIES, notebook) ? STORIES[notebook] : undefined;
  if (!load) throw new Error(`no story for notebook '${notebook}'; stories: ${storyNames().join(', ') || '(none)'}`);
  return load();
}
