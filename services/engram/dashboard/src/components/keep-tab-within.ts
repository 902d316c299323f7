/** What Tab can reach in a dialog (none of them sets a positive tabindex, so document order is Tab order). */
const FOCUSABLE =
  'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/**
 * A dialog's keydown handler. A modal <dialog> makes the page behind it inert, but Tab past its last control
 * still leaves it, for the browser's own controls or the bare document; Tab and Shift+Tab wrap round inside
 * it instead, so the focus stays in the dialog until it closes.
 */
export function keepTabWithin(event: KeyboardEvent): void {
  if (event.key !== 'Tab') return;
  const dialog = event.currentTarget as HTMLElement;
  const controls = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const [first, last] = [controls[0], controls.at(-1)];
  const active = document.activeElement;
  const wrapTo = event.shiftKey ? (active === first ? last : undefined) : active === last ? first : undefined;
  if (!wrapTo) return;
  event.preventDefault();
  wrapTo.focus();
}
