// Draws a Chat: the conversation list with unread counts, the open conversation with the marks
// of my messages (… sending, ✓ accepted, ✓✓ delivered, ✓✓ read in blue), and the composer.
// Showing a conversation while the page is visible is what acknowledges READ.
import { el } from './dom.js';

const MARKS = {
  pending: ['…', 'sending'],
  accepted: ['✓', 'accepted by the node'],
  delivered: ['✓✓', 'delivered'],
  read: ['✓✓', 'read'],
  failed: ['!', 'not sent'],
};

export class ChatView {
  constructor(root) {
    this.root = root;
    this.chat = null;
    this.open = null;
    this.q = (id) => root.querySelector(`[data-testid=${id}]`);
    this.renderQueued = false;

    this.q('new-conversation').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = e.target.elements.peer;
      const peer = input.value.trim();
      if (!peer || !this.chat) return;
      input.value = '';
      this.chat.conversation(peer);
      this.show(peer);
    });
    this.q('composer').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = e.target.elements.text;
      const text = input.value.trim();
      if (!text || !this.open) return;
      input.value = '';
      this.chat.sendText(this.open, text);
    });
    document.addEventListener('visibilitychange', () => this.render());
  }

  /** Shows `chat` from now on (a new one after each sign-in). */
  attach(chat) {
    this.chat = chat;
    this.open = null;
    this.q('composer-text').disabled = true;
    this.q('send').disabled = true;
    chat.addEventListener('change', () => chat === this.chat && this.render());
    this.render();
  }

  show(peer) {
    this.open = peer;
    this.q('composer-text').disabled = false;
    this.q('send').disabled = false;
    this.render();
    this.q('composer-text').focus();
  }

  /** Re-renders once for a burst of changes (a timer, not an animation frame: hidden pages too). */
  render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    setTimeout(() => {
      this.renderQueued = false;
      if (!this.chat) return;
      this.#list();
      this.#conversation();
      if (this.open && document.visibilityState === 'visible') this.chat.shown(this.open);
    }, 0);
  }

  #list() {
    const items = this.chat.list().map((c) => {
      const unread = this.chat.unread(c.peer);
      const last = c.items[c.items.length - 1];
      return el('li', {},
        el('button', {
          type: 'button', class: `conversation-item${c.peer === this.open ? ' active' : ''}`,
          'data-testid': 'conversation-item', 'data-peer': c.peer, onclick: () => this.show(c.peer),
        },
        el('span', { class: 'avatar', 'aria-hidden': 'true' }, c.peer.slice(0, 1).toUpperCase()),
        el('span', { class: 'who' },
          el('span', { class: 'peer' }, c.peer),
          el('span', { class: 'preview muted' }, last ? `${last.own ? 'you: ' : ''}${last.text}` : 'no messages yet')),
        unread ? el('span', { class: 'badge', 'data-testid': 'unread' }, String(unread)) : null));
    });
    this.q('conversation-list').replaceChildren(...items);
  }

  #conversation() {
    const head = this.q('conversation-head');
    const list = this.q('messages');
    if (!this.open) {
      head.textContent = 'No conversation open';
      list.replaceChildren(el('li', { class: 'empty muted' }, 'Open a conversation on the left, or wait for someone to write.'));
      return;
    }
    head.replaceChildren(el('span', { class: 'avatar', 'aria-hidden': 'true' }, this.open.slice(0, 1).toUpperCase()),
      el('b', { 'data-testid': 'open-peer' }, this.open));
    const c = this.chat.conversation(this.open);
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const rows = c.items.map((i) => {
      const [mark, title] = i.own ? MARKS[i.status] : [null, null];
      return el('li', {
        class: `bubble ${i.own ? 'own' : 'theirs'}${i.notification ? ' notification' : ''}`,
        'data-testid': 'message', 'data-id': i.id, 'data-offset': i.offset ?? '',
        'data-status': i.own ? i.status : 'received',
      },
      el('span', { class: 'text' }, i.text),
      el('span', { class: 'meta' },
        new Date(i.time).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
        i.own ? el('span', { class: `mark ${i.status}`, title: i.error || title, 'data-testid': 'mark' }, mark) : null));
    });
    if (!rows.length) rows.push(el('li', { class: 'empty muted' }, `No messages with ${this.open} yet.`));
    list.replaceChildren(...rows);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }
}
