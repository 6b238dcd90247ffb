// The cleanup plan view: rules and totals, space freed per repository, the tags to delete (read page by page
// from the plan's resources), the tags kept by reason, and Apply, which calls apply_tag_cleanup through the host.
import type { CallToolResult } from "@modelcontextprotocol/client";
import { byId, bytes, count, h, start, textOf, view, when } from "../shared/view";
import { table, type Column } from "./table";

type Rules = { older_than_days: number; keep_latest?: number; keep?: string[]; only_never_pulled?: boolean; unpulled_for_days?: number };
type Totals = { tags: number; bytes: number; repositories: number };
type Summary = {
  plan_id: string; plan_uri: string; namespace: string; as_of: string; expires_at: string; rules: Rules;
  allow_protected: boolean; totals: Totals; kept: Record<string, number>;
  repositories: { repository: string; tags: number; bytes: number }[];
  other_repositories?: { repositories: number; tags: number; bytes: number };
  failures: { repository: string; reason: string }[];
};
type Entry = { repository: string; delete: number; kept: number; bytes: number; uri: string; pages?: number };
type Index = { repositories: Entry[]; applicable?: boolean };
type Planned = { tag: string; digest: string; pushed?: string; pulled?: string; size?: number };
type Part = { repository: string; delete: Planned[]; kept: { tag: string; reason: string }[] };
type Row = Planned & { repository: string };
type Outcome = { repository: string; tag: string; outcome: string; reason?: string };
type Applied = {
  applied: boolean; totals: Record<string, number>; failures: Outcome[]; outcomes_uri?: string; summary_markdown: string;
};

const PAGE_ROWS = 200; // small repositories share a table page up to this many rows; a big one is paged by the server
const OUTCOME_LABELS: Record<string, string> = {
  deleted: "Deleted",
  already_gone: "Already gone",
  skipped_changed: "Skipped: changed since planned",
  skipped_protected: "Skipped: protected",
  failed: "Failed",
};
const REASONS: Record<string, string> = {
  protected: "Protected by a keep pattern",
  keep_latest: "Among the newest kept per repository",
  too_recent: "Pushed too recently",
  pulled_recently: "Pulled recently",
  pulled: "Pulled (only never-pulled tags go)",
  unknown_age: "Push time unknown",
  no_digest: "No digest",
};

const app = view("dockerhub-mcp cleanup plan", {
  onResult: (result) => onResult(result),
  onInput: () => status("Planning…"),
  onCancelled: (reason) => status(`The plan was cancelled${reason ? `: ${reason}` : ""}.`, true),
});
let summary: Summary | undefined;
let pages: string[][] = []; // each table page: the resource URIs it is read from
let page = 0;
let loading = 0; // the newest page request; an older one that answers late is dropped
let pageFailed = false; // the status shows a page's read error, to clear once a page reads
const parts = new Map<string, Part>();

const columns: Column<Row>[] = [
  { key: "repository", label: "Repository", value: (r) => r.repository, mono: true },
  { key: "tag", label: "Tag", value: (r) => r.tag, mono: true },
  { key: "pushed", label: "Pushed (UTC)", value: (r) => r.pushed ?? "", show: (r) => when(r.pushed) },
  { key: "pulled", label: "Last pulled (UTC)", value: (r) => r.pulled ?? "", show: (r) => when(r.pulled) },
  { key: "size", label: "Size", value: (r) => r.size ?? -1, show: (r) => bytes(r.size), numeric: true },
];
const tags = table(columns, {
  head: byId("head"), body: byId("rows"), filter: byId<HTMLInputElement>("filter"), count: byId("row-count"),
  matches: (r, text) => r.repository.toLowerCase().includes(text) || r.tag.toLowerCase().includes(text),
});

const status = (text: string, danger = false) => {
  byId("status").textContent = text;
  byId("status").classList.toggle("danger", danger);
};

/** Enable or disable Apply, saying why under it. */
function applyState(enabled: boolean, note: string): void {
  byId<HTMLButtonElement>("apply").disabled = !enabled;
  byId("apply-note").textContent = note;
}
const APPLY_NOTE = "Deletes exactly the tags in this plan, after you confirm.";
const READ_ONLY_NOTE = "This server is read-only: the plan can be reviewed, not applied here.";

function rulesText(s: Summary): string {
  const r = s.rules;
  const parts = [`tags pushed over ${r.older_than_days} days ago`];
  if (r.keep_latest) parts.push(`keeping the newest ${r.keep_latest} per repository`);
  parts.push(r.keep?.length ? `keeping ${r.keep.join(", ")}` : "no keep patterns");
  if (r.only_never_pulled) parts.push("only tags never pulled");
  if (r.unpulled_for_days !== undefined) parts.push(`keeping tags pulled in the last ${r.unpulled_for_days} days`);
  if (s.allow_protected) parts.push("protected tags included");
  return `Deletes ${parts.join("; ")}. Made ${when(s.as_of)} UTC, valid until ${when(s.expires_at)} UTC.`;
}

function renderChart(s: Summary): void {
  const bars = s.repositories.map((r) => ({ name: r.repository, ...r, other: false }));
  if (s.other_repositories) {
    const o = s.other_repositories;
    bars.push({ name: `${count(o.repositories)} other repositories`, repository: "", tags: o.tags, bytes: o.bytes, other: true });
  }
  const most = Math.max(1, ...bars.map((b) => b.bytes));
  byId("chart").replaceChildren(
    ...bars.map((b) => {
      const label = b.other
        ? h("span", { class: "label" }, b.name)
        : h("button", { type: "button", class: "label", title: `Show ${b.name} in the table` }, b.name);
      if (!b.other) label.addEventListener("click", () => void showRepository(b.repository));
      const width = `${((100 * b.bytes) / most).toFixed(1)}%`;
      const bar = h("div", { class: "track", "aria-hidden": "true" }, h("div", { class: "bar", style: `width:${width}` }));
      return h("li", { class: b.other ? "other" : "", "data-repository": b.repository }, label, bar,
        h("span", { class: "value" }, `${bytes(b.bytes)} · ${count(b.tags)} tags`));
    }),
  );
}

function renderHeader(s: Summary): void {
  byId("title").textContent = `Tag cleanup plan for ${s.namespace}`;
  byId("rules").textContent = rulesText(s);
  const kept = Object.values(s.kept).reduce((a, b) => a + b, 0);
  const items: [string, string][] = [
    [count(s.totals.tags), "tags to delete"], [bytes(s.totals.bytes), "freed"],
    [count(s.totals.repositories), "repositories"], [count(kept), "tags kept"],
  ];
  if (s.failures.length) items.push([count(s.failures.length), "repositories not read"]);
  byId("totals").replaceChildren(...items.map(([v, k]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
  renderChart(s);
  renderKept(undefined);
  byId("plan").hidden = false;
}

/** Table pages from the plan index: whole small repositories up to PAGE_ROWS rows, or one server page of a big one. */
function paginate(entries: Entry[]): string[][] {
  const order = entries.filter((e) => e.delete > 0)
    .sort((a, b) => b.bytes - a.bytes || b.delete - a.delete || a.repository.localeCompare(b.repository));
  const out: string[][] = [];
  let group: string[] = [];
  let rows = 0;
  for (const e of order) {
    if ((e.pages ?? 1) > 1) {
      if (group.length) out.push(group);
      for (let k = 1; k <= (e.pages ?? 1); k++) out.push([k === 1 ? e.uri : `${e.uri}?page=${k}`]);
      group = [];
      rows = 0;
      continue;
    }
    if (group.length && rows + e.delete > PAGE_ROWS) {
      out.push(group);
      group = [];
      rows = 0;
    }
    group.push(e.uri);
    rows += e.delete;
  }
  if (group.length) out.push(group);
  return out;
}

async function read<T>(uri: string): Promise<T> {
  const result = await app.readServerResource({ uri });
  const first = result.contents[0];
  if (!first || !("text" in first)) throw new Error(`${uri} has no text`);
  return JSON.parse(first.text) as T;
}

async function showPage(index: number): Promise<void> {
  const ticket = ++loading;
  page = index;
  byId<HTMLButtonElement>("prev").disabled = index <= 0;
  byId<HTMLButtonElement>("next").disabled = index >= pages.length - 1;
  byId("page-label").textContent = pages.length ? `Page ${index + 1} of ${pages.length}` : "No tags to delete";
  const uris = pages[index] ?? [];
  try {
    const loaded = await Promise.all(uris.map(async (uri) => parts.get(uri) ?? read<Part>(uri)));
    if (ticket !== loading) return;
    uris.forEach((uri, i) => parts.set(uri, loaded[i]));
    tags.set(loaded.flatMap((p) => p.delete.map((t) => ({ ...t, repository: p.repository }))));
    renderKept(pages.length ? loaded : undefined);
    if (pageFailed) status("");
    pageFailed = false;
  } catch (error) {
    if (ticket !== loading) return;
    // Not the previous page's rows under this page's label: an empty table, and the error in the status.
    tags.set([]);
    renderKept([]);
    pageFailed = true;
    status(`Could not read page ${index + 1} of the plan's tags: ${(error as Error).message}`, true);
  }
}

async function showRepository(repository: string): Promise<void> {
  const index = pages.findIndex((uris) => uris.some((u) => u.endsWith(`/repositories/${repository}`)));
  if (index < 0) return;
  tags.clearFilter();
  await showPage(index);
  byId("filter").focus();
}

/** The whole plan's kept tags by reason (the tool result's totals, always shown), each with the kept tags of
 * the repositories on the table page (`loaded`; undefined while none is read, or when none can be). */
function renderKept(loaded: Part[] | undefined): void {
  const s = summary!;
  const byReason = new Map<string, string[]>();
  for (const p of loaded ?? []) {
    for (const k of p.kept) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), `${p.repository}:${k.tag}`]);
  }
  byId("kept").replaceChildren(
    ...Object.entries(s.kept).map(([reason, n]) => {
      const here = byReason.get(reason) ?? [];
      const label = `${REASONS[reason] ?? reason}: ${count(n)} in the plan`;
      if (!loaded) return h("p", { "data-reason": reason }, label);
      return h("details", { "data-reason": reason },
        h("summary", {}, `${label}, ${count(here.length)} in the repositories on this page`),
        h("ul", {}, ...here.map((name) => h("li", { class: "mono" }, name))));
    }),
  );
  if (!Object.keys(s.kept).length) byId("kept").textContent = "The rules keep no tag.";
}

/** Repositories with tags kept and none to delete: on no table page, so listed here, their tags read when opened. */
function renderKeptOnly(entries: Entry[]): void {
  const only = entries.filter((e) => e.delete === 0 && e.kept > 0).sort((a, b) => a.repository.localeCompare(b.repository));
  const box = byId("kept-only");
  box.hidden = !only.length;
  if (!only.length) return;
  box.replaceChildren(
    h("p", {}, `${count(only.length)} ${only.length === 1 ? "repository has" : "repositories have"} no tag to delete, every tag kept:`),
    ...only.map((e) => {
      const list = h("ul", {});
      const item = h("details", { "data-repository": e.repository },
        h("summary", { class: "mono" }, `${e.repository}: ${count(e.kept)} tags kept`), list);
      let asked = false;
      item.addEventListener("toggle", () => {
        if (!item.open || asked) return;
        asked = true;
        void keptOf(e).then(
          (kept) => list.replaceChildren(...kept.map((k) =>
            h("li", {}, h("span", { class: "mono" }, k.tag), ` (${REASONS[k.reason] ?? k.reason})`))),
          (error: Error) => {
            asked = false;
            list.replaceChildren(h("li", { class: "danger" }, `Could not read ${e.repository}: ${error.message}`));
          },
        );
      });
      return item;
    }),
  );
}

async function keptOf(e: Entry): Promise<Part["kept"]> {
  const uris = Array.from({ length: e.pages ?? 1 }, (_, k) => (k === 0 ? e.uri : `${e.uri}?page=${k + 1}`));
  const got = await Promise.all(uris.map(async (uri) => parts.get(uri) ?? read<Part>(uri)));
  uris.forEach((uri, i) => parts.set(uri, got[i]));
  return got.flatMap((p) => p.kept);
}

function askToApply(): void {
  const s = summary!;
  byId("confirm-text").textContent =
    `Delete ${count(s.totals.tags)} tags from ${count(s.totals.repositories)} repositories of ${s.namespace}, ` +
    `freeing about ${bytes(s.totals.bytes)}? Tags re-pushed or pulled since the plan was made are skipped. This cannot be undone.`;
  byId("confirm-yes").textContent = `Delete ${count(s.totals.tags)} tags`;
  byId<HTMLButtonElement>("apply").disabled = true;
  byId("confirm").hidden = false;
  byId("confirm-no").focus();
}

/** Hide the confirmation, its button having focus: focus goes to the status (tabindex=-1), not to <body>. */
function closeConfirm(): void {
  byId("confirm").hidden = true;
  byId("status").focus();
}

function cancelApply(): void {
  byId<HTMLButtonElement>("apply").disabled = false;
  closeConfirm();
}

async function apply(): Promise<void> {
  const s = summary!;
  status("Applying the plan…");
  closeConfirm();
  let result: CallToolResult;
  try {
    // confirm: the person just confirmed in this view. A host that can ask the user (elicitation) is still
    // asked by the server itself, so a view alone can never approve a deletion.
    result = await app.callServerTool({ name: "apply_tag_cleanup", arguments: { plan_id: s.plan_id, confirm: true } });
  } catch (error) {
    status(`The host did not run apply_tag_cleanup: ${(error as Error).message}`, true);
    byId<HTMLButtonElement>("apply").disabled = false;
    return;
  }
  const done = result.structuredContent as Applied | undefined;
  if (result.isError || !done) {
    status(`Not applied: ${textOf(result)}`, true);
    byId<HTMLButtonElement>("apply").disabled = false;
    return;
  }
  if (!done.applied) {
    status(`Not applied: ${done.summary_markdown}`, true);
    byId<HTMLButtonElement>("apply").disabled = false;
    return;
  }
  status(`Applied: ${count(done.totals.deleted ?? 0)} of ${count(s.totals.tags)} tags deleted.`);
  byId("apply").textContent = "Applied";
  await showOutcomes(done);
}

async function showOutcomes(done: Applied): Promise<void> {
  byId("outcome-totals").replaceChildren(
    ...Object.entries(OUTCOME_LABELS).map(([key, label]) =>
      h("div", { "data-outcome": key }, h("dt", {}, label), h("dd", {}, count(done.totals[key] ?? 0)))),
  );
  let listed = done.failures;
  const others = Object.entries(done.totals).filter(([k, n]) => k !== "deleted" && n > 0).reduce((a, [, n]) => a + n, 0);
  if (others > listed.length && done.outcomes_uri && app.getHostCapabilities()?.serverResources) {
    const all = await read<{ outcomes: Outcome[] }>(done.outcomes_uri).catch(() => undefined);
    if (all) listed = all.outcomes.filter((o) => o.outcome !== "deleted");
  }
  const rows = listed.slice(0, 500).map((o) =>
    h("tr", {}, h("td", { class: "mono" }, o.repository), h("td", { class: "mono" }, o.tag),
      h("td", {}, OUTCOME_LABELS[o.outcome] ?? o.outcome), h("td", {}, o.reason ?? "")));
  byId("outcome-list").replaceChildren(
    rows.length
      ? h("table", { "aria-label": "Tags not deleted" },
          h("thead", {}, h("tr", {}, ...["Repository", "Tag", "Outcome", "Reason"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, ...rows))
      : h("p", {}, "Every tag of the plan was deleted."),
  );
  byId("outcomes").hidden = false;
}

function onResult(result: CallToolResult): void {
  const s = result.structuredContent as Summary | undefined;
  if (result.isError || !s?.plan_id) {
    status(`No plan: ${textOf(result) || "the tool returned none."}`, true);
    return;
  }
  summary = s;
  status("");
  renderHeader(s);
  const caps = app.getHostCapabilities();
  const tools = Boolean(caps?.serverTools) && s.totals.tags > 0;
  if (!caps?.serverTools) {
    applyState(false, `This host does not let views call tools: ask the assistant to apply plan ${s.plan_id.slice(0, 12)}.`);
  } else if (s.totals.tags === 0) {
    applyState(false, "The plan deletes no tag, so there is nothing to apply.");
  } else if (caps.serverResources) {
    // The index says whether this server can apply the plan (a read-only one has no apply_tag_cleanup).
    applyState(false, "Checking whether this server can apply the plan…");
  } else {
    applyState(true, APPLY_NOTE);
  }
  if (!caps?.serverResources) {
    byId("table-note").textContent = `This host does not let views read server resources, so the tags cannot be listed here: they are in ${s.plan_uri}.`;
    byId("table-note").classList.add("notice");
    return;
  }
  void read<Index>(s.plan_uri).then(
    (index) => {
      if (tools) applyState(index.applicable !== false, index.applicable === false ? READ_ONLY_NOTE : APPLY_NOTE);
      pages = paginate(index.repositories);
      byId("table-note").textContent = s.totals.tags === 0
        ? "The plan deletes no tag."
        : `${count(s.totals.tags)} tags, largest repositories first.`;
      renderKeptOnly(index.repositories);
      return showPage(0);
    },
    (error: Error) => {
      if (tools) applyState(true, APPLY_NOTE); // apply_tag_cleanup gives its own reason if it cannot
      status(`Could not read the plan: ${error.message}`, true);
    },
  );
}

byId("prev").addEventListener("click", () => void showPage(page - 1));
byId("next").addEventListener("click", () => void showPage(page + 1));
byId("apply").addEventListener("click", askToApply);
byId("confirm-no").addEventListener("click", cancelApply);
byId("confirm-yes").addEventListener("click", () => void apply());
byId("confirm").addEventListener("keydown", (e) => e.key === "Escape" && cancelApply());

await start(app);
