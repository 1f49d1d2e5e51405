import { css, html, nothing, type TemplateResult } from 'lit';
import type { ChatItem } from '../chat/transcript.js';
import { formatUsage, readableToolText, toolPreview } from './format.js';

/** Styles of the message list (used by the chat view). */
export const chatItemStyles = css`
  .item {
    max-width: min(46rem, 100%);
    margin: 0.35rem 0;
  }
  .user {
    margin-left: auto;
    background: var(--user-bubble);
    border-radius: var(--radius) var(--radius) 2px var(--radius);
    padding: 0.5rem 0.75rem;
    width: fit-content;
  }
  .assistant {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius) var(--radius) var(--radius) 2px;
    padding: 0.5rem 0.75rem;
    width: fit-content;
  }
  .text {
    white-space: pre-wrap;
    word-break: break-word;
    overflow-wrap: anywhere;
  }
  .meta {
    font-size: 0.8rem;
    color: var(--muted);
    margin-top: 0.25rem;
  }
  .pending {
    opacity: 0.7;
  }
  .cursor::after {
    content: '▍';
    animation: blink 1s steps(1) infinite;
    color: var(--muted);
  }
  @keyframes blink {
    50% {
      opacity: 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .cursor::after {
      animation: none;
    }
  }
  details.tool {
    border: 1px dashed var(--border);
    border-radius: 8px;
    padding: 0.3rem 0.6rem;
    font-size: 0.92rem;
  }
  details.tool summary {
    cursor: pointer;
    color: var(--muted);
  }
  details.tool summary .preview {
    color: var(--text);
  }
  details.tool.failed summary {
    color: var(--danger);
  }
  .notice {
    text-align: center;
    color: var(--muted);
    font-size: 0.9rem;
    margin: 0.5rem auto;
  }
  .chat-error {
    border: 1px solid var(--danger);
    background: var(--danger-bg);
    border-radius: var(--radius);
    padding: 0.6rem 0.8rem;
  }
  .chat-error h3 {
    margin: 0 0 0.3rem;
    font-size: 1rem;
  }
`;

function renderUser(item: Extract<ChatItem, { kind: 'user' }>): TemplateResult {
  return html`<div class="item user ${item.pending ? 'pending' : ''}" data-kind="user">
    <span class="sr-only">You:</span>
    <div class="text">${item.text}</div>
    ${item.pending ? html`<div class="meta">sending…</div>` : nothing}
  </div>`;
}

function renderAssistant(item: Extract<ChatItem, { kind: 'assistant' }>): TemplateResult {
  const usage = formatUsage(item.usage);
  return html`<div class="item assistant" data-kind="assistant" aria-busy=${item.streaming ? 'true' : 'false'}>
    <span class="sr-only">Agent:</span>
    <div class="text ${item.streaming ? 'cursor' : ''}">${item.text}</div>
    ${item.cutOff ? html`<div class="meta">(cut off: the model reached its output limit)</div>` : nothing}
    ${
      usage || item.model
        ? html`<div class="meta" data-usage>${[item.model, usage].filter(Boolean).join(' · ')}</div>`
        : nothing
    }
  </div>`;
}

function renderTool(item: Extract<ChatItem, { kind: 'tool' }>): TemplateResult {
  const status = !item.done ? 'running…' : item.isError ? 'failed' : 'done';
  const preview = toolPreview(item.args);
  return html`<div class="item" data-kind="tool">
    <details class="tool ${item.isError ? 'failed' : ''}">
      <summary>Tool <code>${item.name}</code>${preview ? html` <code class="preview">${preview}</code>` : nothing} — ${status}</summary>
      ${item.args ? html`<div class="meta">arguments</div><pre data-args>${readableToolText(item.args)}</pre>` : nothing}
      ${item.done ? html`<div class="meta">result</div><pre data-result>${readableToolText(item.result ?? '')}</pre>` : nothing}
    </details>
  </div>`;
}

function renderError(item: Extract<ChatItem, { kind: 'error' }>): TemplateResult {
  if (!item.configureModel) {
    return html`<div class="item chat-error" role="alert" data-kind="error">
      <div class="text">${item.text}</div>
    </div>`;
  }
  return html`<div class="item chat-error" role="alert" data-kind="error" data-no-model>
    <h3>No model is configured</h3>
    <p>
      The gateway needs a model provider before the agent can answer. Add this to
      <code>carapace.json</code> in the gateway's state directory (the gateway picks the change up by itself),
      then send your message again:
    </p>
    <pre>${item.text}</pre>
  </div>`;
}

/** One chat item as markup. Text is always rendered as text (never as HTML). */
export function renderChatItem(item: ChatItem): TemplateResult {
  switch (item.kind) {
    case 'user':
      return renderUser(item);
    case 'assistant':
      return renderAssistant(item);
    case 'tool':
      return renderTool(item);
    case 'error':
      return renderError(item);
    default:
      return html`<div class="item notice" data-kind="notice">${item.text}</div>`;
  }
}
