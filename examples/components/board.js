// The hooks of examples/components/board.py, colocated: drag and drop of cards between columns
// with the browser's own (HTML5) drag events. The server decides: a drop only pushes "move" to
// the view, which moves the card in its board and re-renders both columns.

const CARD_TYPE = "application/x-kanban-card";
let refocus = null; // {cardId, which}: the card whose ◀/▶ button was clicked, until it shows again

// On every card (phx-hook="CardDrag", draggable="true" unless it is being edited): carries the
// card's id in the drag. For keyboard users it also keeps the focus on the card: on its ◀/▶
// button through the move that button causes, and on Edit once the edit form is saved or
// cancelled (the server's patch removes the focused control in both cases).
export const CardDrag = {
  mounted() {
    this.el.addEventListener("dragstart", (e) => {
      if (this.el.getAttribute("draggable") !== "true") return;
      e.dataTransfer.setData(CARD_TYPE, this.el.dataset.cardId);
      e.dataTransfer.setData("text/plain", this.el.querySelector(".kanban-title")?.textContent ?? "");
      e.dataTransfer.effectAllowed = "move";
      this.el.classList.add("dragging");
    });
    this.el.addEventListener("dragend", () => this.el.classList.remove("dragging"));
    // The card leaves its list for another one: the button that moved it loses focus with it.
    this.el.addEventListener("click", (e) => {
      const button = e.target.closest("button.move");
      if (button) refocus = {cardId: this.el.dataset.cardId, which: button.classList.contains("move-prev") ? "prev" : "next"};
      if (e.target.closest("button[id^='cancel-']")) this.leavingForm = true;
    });
    this.el.addEventListener("submit", () => { this.leavingForm = true; });
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && e.target.closest("form")) this.leavingForm = true;
    });
    this.restoreFocus();
  },
  updated() {
    // Back from the edit form (the client blurs a form it submits, so this is noted when it happens).
    if (this.leavingForm && !this.el.classList.contains("editing")) {
      this.leavingForm = false;
      if (document.activeElement === null || document.activeElement === document.body) {
        this.el.querySelector("button[id^='edit-']")?.focus();
      }
    }
    this.restoreFocus();
  },
  restoreFocus() {
    if (refocus === null || refocus.cardId !== this.el.dataset.cardId || this.el.contains(document.activeElement)) return;
    const button = this.el.querySelector(`button.move-${refocus.which}`) ?? this.el.querySelector("button.move");
    refocus = null;
    button?.focus();
  },
};

// On every column's list (phx-hook="ColumnDrop", data-column="<id>"): accepts a dragged card and
// pushes {card, to, index} to the view, index being where it fell among the other cards.
export const ColumnDrop = {
  mounted() {
    this.el.addEventListener("dragover", (e) => {
      if (!e.dataTransfer.types.includes(CARD_TYPE)) return;
      e.preventDefault(); // accept the drop
      e.dataTransfer.dropEffect = "move";
      this.el.classList.add("drop-target");
    });
    this.el.addEventListener("dragleave", (e) => {
      if (!this.el.contains(e.relatedTarget)) this.el.classList.remove("drop-target");
    });
    this.el.addEventListener("drop", (e) => {
      const cardId = e.dataTransfer.getData(CARD_TYPE);
      this.el.classList.remove("drop-target");
      if (!cardId) return;
      e.preventDefault();
      this.pushEvent("move", {card: cardId, to: this.el.dataset.column, index: dropIndex(this.el, cardId, e.clientY)});
    });
  },
};

// The position among the list's other cards that the pointer is above (their vertical middles).
function dropIndex(list, cardId, y) {
  const cards = [...list.querySelectorAll(":scope > [data-card-id]")].filter((card) => card.dataset.cardId !== cardId);
  const index = cards.findIndex((card) => {
    const box = card.getBoundingClientRect();
    return y < box.top + box.height / 2;
  });
  return index === -1 ? cards.length : index;
}
