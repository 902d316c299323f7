import { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * For a dialog that is removed rather than closed: focus goes back to the control that opened it (the
 * element focused when the dialog arrived), so a keyboard user is not left at the top of the page.
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
    if (this.opener instanceof HTMLElement && this.opener.isConnected) this.opener.focus();
    this.opener = null;
  }
}
