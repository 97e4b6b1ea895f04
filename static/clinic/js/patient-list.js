// The care teams' patient list: search, status filter and sort in the browser, so no name or MRN is ever
// sent in a URL (access logs keep URLs).

const search = document.getElementById("list-search");
const status = document.getElementById("list-status");
const sort = document.getElementById("list-sort");
const KEYS = {
  name: (row) => row.dataset.name.toLowerCase(),
  mrn: (row) => row.dataset.mrn.toLowerCase(),
  admitted: (row) => -Date.parse(row.dataset.admitted),
  status: (row) => `${row.dataset.status} ${row.dataset.name.toLowerCase()}`,
};

function apply() {
  const query = search.value.trim().toLowerCase();
  const key = KEYS[sort.value];
  for (const section of document.querySelectorAll("section.team")) {
    const body = section.querySelector("tbody");
    const rows = [...body.querySelectorAll("tr[data-patient-row]")];
    rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    body.replaceChildren(...rows);
    let shown = 0;
    for (const row of rows) {
      const match = (!status.value || row.dataset.status === status.value) &&
        (!query || row.dataset.name.toLowerCase().includes(query) || row.dataset.mrn.toLowerCase().includes(query));
      row.hidden = !match;
      shown += match ? 1 : 0;
    }
    section.querySelector(".empty").hidden = shown > 0;
  }
}

for (const el of [search, status, sort]) el.addEventListener("input", apply);
apply();
