// The audit view: what was pushed to a namespace in a window, as a timeline per repository, with digest,
// platforms and pusher; with an organization access token also the tags deleted and who deleted them.
import type { CallToolResult } from "@modelcontextprotocol/client";
import { byId, count, h, start, textOf, view, when } from "../shared/view";

type Push = { repository: string; tag: string; digest?: string; pushed_at: string; pushed_by?: string; platforms: string[] };
type Deletion = { repository: string; tag: string; deleted_at?: string; deleted_by?: string };
type Audit = {
  namespace: string; since: string; until: string;
  totals: { repositories: number; tags: number; deletions?: number };
  tags: Push[]; truncated: boolean; deletions?: Deletion[];
  errors: { repository: string; reason: string }[]; audit_log_error?: string;
};
type Event = { kind: "pushed" | "deleted"; at?: string; repository: string; tag: string; detail: (Node | string)[] };

const status = (text: string, danger = false) => {
  byId("status").textContent = text;
  byId("status").classList.toggle("danger", danger);
};

const shortDigest = (digest: string) => digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1…");

function events(a: Audit): Event[] {
  const pushes: Event[] = a.tags.map((p) => ({
    kind: "pushed", at: p.pushed_at, repository: p.repository, tag: p.tag,
    detail: [
      p.digest ? h("code", { title: p.digest }, shortDigest(p.digest)) : "no digest",
      ` · ${p.platforms.length ? p.platforms.join(", ") : "no platform listed"}`,
      p.pushed_by ? ` · by ${p.pushed_by}` : "",
    ],
  }));
  const deletions: Event[] = (a.deletions ?? []).map((d) => ({
    kind: "deleted", at: d.deleted_at, repository: d.repository, tag: d.tag,
    detail: [d.deleted_by ? `by ${d.deleted_by}` : "actor unknown"],
  }));
  return [...pushes, ...deletions].sort((x, y) => (y.at ?? "").localeCompare(x.at ?? ""));
}

function lane(list: Event[], from: number, to: number): HTMLElement {
  const span = Math.max(1, to - from);
  return h("div", { class: "lane", "aria-hidden": "true" },
    ...list.filter((e) => e.at).map((e) => {
      const x = Math.min(100, Math.max(0, (100 * (Date.parse(e.at!) - from)) / span));
      return h("span", { class: `mark ${e.kind}`, style: `left:${x.toFixed(2)}%`, title: `${e.kind} ${e.tag} ${when(e.at)}` });
    }));
}

function render(a: Audit): void {
  byId("title").textContent = `Recent pushes to ${a.namespace}`;
  byId("window").textContent = `From ${when(a.since)} to ${when(a.until)} UTC, newest first.`;
  const totals: [string, string][] = [[count(a.totals.tags), "tags pushed"], [count(a.totals.repositories), "repositories"]];
  if (a.totals.deletions !== undefined) totals.push([count(a.totals.deletions), "tags deleted"]);
  byId("totals").replaceChildren(...totals.map(([v, k]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
  const notes: string[] = [];
  if (a.truncated) notes.push(`The newest ${count(a.tags.length)} of ${count(a.totals.tags)} pushes are shown.`);
  if (a.deletions === undefined) notes.push("Deletions and who pushed come from an organization's audit log: connect with an organization access token to see them.");
  if (a.audit_log_error) notes.push(`The audit log could not be read: ${a.audit_log_error}`);
  byId("notes").textContent = notes.join(" ");

  const all = events(a);
  const from = Date.parse(a.since);
  const to = Date.parse(a.until);
  byId("axis-from").textContent = when(a.since);
  byId("axis-to").textContent = when(a.until);
  const repositories = [...new Set(all.map((e) => e.repository))];
  byId("timeline").replaceChildren(
    ...repositories.map((repository) => {
      const mine = all.filter((e) => e.repository === repository);
      const id = `repo-${repository}`;
      return h("section", { class: "repo", "aria-labelledby": id, "data-repository": repository },
        h("h3", { id }, repository),
        lane(mine, from, to),
        h("ol", { class: "events" }, ...mine.map((e) =>
          h("li", { class: `kind-${e.kind}` },
            h("time", { datetime: e.at ?? "" }, when(e.at)),
            h("span", { class: "kind" }, e.kind),
            h("span", { class: "what" }, h("code", {}, e.tag), " ", ...e.detail)))));
    }),
  );
  if (!repositories.length) byId("timeline").textContent = "Nothing was pushed or deleted in this window.";
  byId("errors").replaceChildren(...(a.errors.length
    ? [h("h2", {}, "Repositories not read"), h("ul", {}, ...a.errors.map((e) => h("li", {}, h("code", {}, e.repository), `: ${e.reason}`)))]
    : []));
  byId("audit").hidden = false;
}

function onResult(result: CallToolResult): void {
  const a = result.structuredContent as Audit | undefined;
  if (result.isError || !a?.namespace) {
    status(`No audit: ${textOf(result) || "the tool returned none."}`, true);
    return;
  }
  status("");
  render(a);
}

const app = view("dockerhub-mcp audit", {
  onResult,
  onInput: () => status("Reading the pushes…"),
  onCancelled: (reason) => status(`The audit was cancelled${reason ? `: ${reason}` : ""}.`, true),
});
await start(app);
