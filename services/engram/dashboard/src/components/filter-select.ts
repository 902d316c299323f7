import { html } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';

/** A list filter's dropdown: its name, its label, what "no filter" reads as, the values offered, the one chosen. */
export interface FilterChoice {
  name: string;
  label: string;
  anyLabel: string;
  values: string[];
  selected: string;
}

/**
 * The dropdown of one list filter. The chosen value stays shown, marked, when it is no longer among those
 * offered (its last memory was deleted here or by another client): the list is still filtered by it, and a
 * dropdown reading "Any" above filtered results would misstate what is shown. Changing the filter stays the
 * user's choice; a live update never does it for them.
 */
export function filterSelect(choice: FilterChoice) {
  const { selected, values } = choice;
  const gone = selected !== '' && !values.includes(selected);
  const options = gone ? [selected, ...values] : values;
  return html`<label
    >${choice.label}
    <select name=${choice.name}>
      <option value="" .selected=${live(selected === '')}>${choice.anyLabel}</option>
      ${repeat(
        options,
        (value) => value,
        (value) =>
          html`<option value=${value} .selected=${live(value === selected)}>
            ${gone && value === selected ? `${value} (no memories now)` : value}
          </option>`,
      )}
    </select></label
  >`;
}
