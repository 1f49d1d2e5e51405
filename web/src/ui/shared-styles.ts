import { css } from 'lit';

/** Controls and cards every component shares; colors come from the custom properties in styles.css. */
export const sharedStyles = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--border);
    background: var(--surface);
    border-radius: 8px;
    padding: 0.4rem 0.8rem;
    min-height: 2.25rem;
  }
  button:hover:not(:disabled) {
    background: var(--surface-2);
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--accent-text);
  }
  button.primary:hover:not(:disabled) {
    filter: brightness(1.08);
    background: var(--accent);
  }
  button.danger {
    color: var(--danger);
  }
  button.small {
    min-height: 1.9rem;
    padding: 0.2rem 0.6rem;
    font-size: 0.9rem;
  }
  input,
  select,
  textarea {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 8px;
    padding: 0.45rem 0.6rem;
    min-height: 2.25rem;
    max-width: 100%;
  }
  :focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 2px;
  }
  .card {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    padding: 0.9rem 1rem;
  }
  .muted {
    color: var(--muted);
  }
  .error {
    color: var(--danger);
  }
  .banner {
    border-radius: var(--radius);
    padding: 0.6rem 0.9rem;
    border: 1px solid var(--border);
    background: var(--surface-2);
  }
  .banner.warn {
    background: var(--warn-bg);
    border-color: var(--warn);
  }
  .banner.danger {
    background: var(--danger-bg);
    border-color: var(--danger);
  }
  pre,
  code {
    font-family: var(--mono);
    font-size: 0.88rem;
  }
  pre {
    background: var(--code-bg);
    border-radius: 8px;
    padding: 0.6rem 0.75rem;
    overflow-x: auto;
    white-space: pre-wrap;
    word-break: break-word;
    margin: 0.4rem 0;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.4rem 0.5rem;
    border-bottom: 1px solid var(--border);
    vertical-align: top;
  }
  th {
    font-weight: 600;
    font-size: 0.88rem;
    color: var(--muted);
  }
  .num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  .row {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    flex-wrap: wrap;
  }
  .row.spread {
    justify-content: space-between;
  }
  .small-text {
    font-size: 0.8rem;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }
  h2 {
    font-size: 1.1rem;
    margin: 0 0 0.6rem;
  }
  h3 {
    font-size: 1rem;
    margin: 0.9rem 0 0.3rem;
  }
  .scroll-x {
    overflow-x: auto;
  }
  /* Tables of class "stack" become one card per row on narrow screens; cells name themselves. */
  @media (max-width: 600px) {
    table.stack thead {
      display: none;
    }
    table.stack tr {
      display: block;
      border-bottom: 1px solid var(--border);
      padding: 0.4rem 0;
    }
    table.stack td {
      display: block;
      border: none;
      padding: 0.15rem 0;
      text-align: left;
    }
    table.stack td[data-label]::before {
      content: attr(data-label) ': ';
      color: var(--muted);
      font-size: 0.85rem;
    }
  }
`;
