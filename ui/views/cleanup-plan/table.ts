// A table whose rows can be sorted (buttons in the column headers, aria-sort) and filtered (a labelled input).
import { count, h } from "../shared/view";

export type Column<R> = {
  key: string;
  label: string;
  value: (row: R) => string | number; // what sorting compares
  show?: (row: R) => string; // what the cell shows (default: the value)
  numeric?: boolean;
  mono?: boolean;
};

type Parts<R> = {
  head: HTMLElement;
  body: HTMLElement;
  filter: HTMLInputElement;
  count: HTMLElement;
  matches: (row: R, text: string) => boolean;
};

export function table<R>(columns: Column<R>[], parts: Parts<R>) {
  let rows: R[] = [];
  let sort: { key: string; dir: 1 | -1 } | undefined;

  const headers = columns.map((c) => {
    // The arrow is hidden from the accessible name: aria-sort on the header says the same to a screen reader.
    const button = h("button", { type: "button", class: "sort" }, c.label, h("span", { class: "arrow", "aria-hidden": "true" }, " ↕"));
    const th = h("th", { scope: "col", class: c.numeric ? "num" : undefined, "data-key": c.key }, button);
    button.addEventListener("click", () => {
      sort = { key: c.key, dir: sort?.key === c.key && sort.dir === 1 ? -1 : 1 };
      render();
    });
    return th;
  });
  parts.head.replaceChildren(...headers);
  parts.filter.addEventListener("input", () => render());

  function render(): void {
    const text = parts.filter.value.trim().toLowerCase();
    let shown = text ? rows.filter((r) => parts.matches(r, text)) : [...rows];
    const column = columns.find((c) => c.key === sort?.key);
    if (column && sort) {
      const dir = sort.dir;
      shown = shown.sort((a, b) => {
        const x = column.value(a);
        const y = column.value(b);
        return dir * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
      });
    }
    headers.forEach((th, i) => {
      const state = sort?.key === columns[i].key ? (sort.dir === 1 ? "ascending" : "descending") : undefined;
      if (state) th.setAttribute("aria-sort", state);
      else th.removeAttribute("aria-sort");
      th.querySelector(".arrow")!.textContent = state === "ascending" ? " ▲" : state === "descending" ? " ▼" : " ↕";
    });
    parts.body.replaceChildren(
      ...shown.map((r) =>
        h("tr", {}, ...columns.map((c) =>
          h("td", { class: [c.numeric ? "num" : "", c.mono ? "mono" : ""].join(" ").trim() || undefined },
            c.show ? c.show(r) : String(c.value(r)))))),
    );
    parts.count.textContent = text
      ? `${count(shown.length)} of ${count(rows.length)} tags on this page match`
      : `${count(rows.length)} tags on this page`;
  }

  return {
    set(next: R[]): void {
      rows = next;
      render();
    },
    clearFilter(): void {
      parts.filter.value = "";
    },
  };
}
