/** The key lives in sessionStorage: it survives reloads of this tab and is gone when the tab closes. */
const KEY = 'engram.apiKey';

export const session = {
  load: (): string | undefined => sessionStorage.getItem(KEY) ?? undefined,
  save: (key: string): void => sessionStorage.setItem(KEY, key),
  clear: (): void => sessionStorage.removeItem(KEY),
};
