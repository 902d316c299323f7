import { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * For a dialog that is removed rather than closed: focus goes back to the control that opened it (the
 * element focused when the dialog arrived), so a keyboard user is not left at the top of the page. When that
 * control goes too (the row it acted on was deleted, a revoked key lost its button), the focus goes to its
 * view's heading instead of falling to the page.
 */
export class ReturnFocus implements ReactiveController {
  private opener: Element | null = null;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.opener = document.activeElement;
  }

  hostDisconnected(): void {
    const opener = this.opener;
    this.opener = null;
    if (!(opener instanceof HTMLElement) || !opener.isConnected) return;
    opener.focus();
    headingWhenRemoved(opener);
  }
}

/** Focuses the view's heading (focusable by script only), so a screen reader reads where the user now is. */
export function focusHeadingOf(view: Element | null): void {
  const heading = view?.querySelector<HTMLElement>('h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

/** Until the focus moves on from `control`: if `control` is removed while it has the focus, its view's heading takes it. */
function headingWhenRemoved(control: HTMLElement): void {
  const view = control.closest('main');
  if (!view) return;
  const stop = () => {
    observer.disconnect();
    document.removeEventListener('focusin', movedOn);
  };
  const movedOn = () => {
    if (document.activeElement !== control) stop();
  };
  const observer = new MutationObserver(() => {
    if (control.isConnected) return;
    stop();
    if (document.activeElement === null || document.activeElement === document.body) focusHeadingOf(view);
  });
  observer.observe(view, { childList: true, subtree: true });
  document.addEventListener('focusin', movedOn);
}
