// The segments list: each size is counted after the page renders, one request at a time from the top,
// so that a long list over a large customer base shows at once and fills in.
(() => {
    "use strict";

    const cells = [...document.querySelectorAll("#segments .segment-size[data-size-url]")];

    async function count(cell) {
        try {
            cell.textContent = (await Crm.getJson(cell.dataset.sizeUrl)).text;
        } catch {
            cell.textContent = "—";
            cell.title = "The size could not be counted; reload the page to try again.";
        } finally {
            cell.removeAttribute("aria-busy");
        }
    }

    (async () => {
        for (const cell of cells) {
            await count(cell);
        }
    })();
})();
