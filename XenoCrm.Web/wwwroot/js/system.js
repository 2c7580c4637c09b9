// The System page: every few seconds, a new sample from the page's Figures handler replaces the numbers and the
// lists in place. Text from the server goes in with textContent only.
"use strict";

(() => {
    const pollMs = 3000;
    const host = document.querySelector("[data-figures-url]");
    if (!host) {
        return;
    }
    const count = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
    const rate = (r) => (r === null || r === undefined ? "—" : `${r.toFixed(1)}/s`);

    function set(name, text) {
        for (const out of host.querySelectorAll(`[data-figure='${name}']`)) {
            out.textContent = text;
        }
    }

    const cell = (text, end) => Crm.el("td", end ? "text-end" : "", text);

    function rows(name, items, toCells) {
        const body = host.querySelector(`[data-list='${name}']`);
        if (!body) {
            return;
        }
        body.replaceChildren(...items.map((item) => {
            const tr = Crm.el("tr");
            tr.append(...toCells(item));
            return tr;
        }));
    }

    function campaignLink(c) {
        const td = Crm.el("td");
        const a = Crm.el("a", "", c.name);
        a.href = `/campaigns/${encodeURIComponent(c.id)}`;
        td.append(a);
        return td;
    }

    function show(f) {
        const i = f.ingestion;
        set("at", `${new Date(f.at).toISOString().substring(11, 19)} UTC`);
        set("accepted", count(i.acceptedCustomers + i.acceptedOrders));
        set("acceptedCustomers", count(i.acceptedCustomers));
        set("acceptedOrders", count(i.acceptedOrders));
        set("acceptedPerSecond", rate(i.acceptedPerSecond));
        set("stored", count(i.customers + i.orders));
        set("customers", count(i.customers));
        set("orders", count(i.orders));
        set("storedPerSecond", rate(i.storedPerSecond));
        set("deadLetters", count(f.deadLetters));
        set("sending", count(f.campaigns.sending));
        set("messagesPerSecond", rate(f.campaigns.messagesPerSecond));
        for (const name of ["servers", "enqueued", "processing", "scheduled", "succeeded", "failed"]) {
            set(name, count(f.hangfire[name]));
        }
        rows("queues", f.queues, (q) => [cell(q.queue), cell(count(q.ready), true), cell(count(q.consumers), true)]);
        const empty = host.querySelector("[data-empty='queues']");
        if (empty) {
            empty.hidden = f.queues.length > 0;
        }
        rows("campaigns", f.campaigns.list, (c) => [campaignLink(c), cell(count(c.audience), true), cell(count(c.sent), true), cell(count(c.failed), true), cell(rate(c.perSecond), true)]);
        rows("hangfireQueues", f.hangfire.queues, (q) => [cell(q.name), cell(count(q.length), true), cell(count(q.fetched), true)]);
        const failures = host.querySelector("[data-list='failures']");
        failures.replaceChildren(...f.hangfire.recentFailures.map((j) => {
            const li = Crm.el("li", "mb-2");
            li.append(Crm.el("span", "fw-semibold", j.job), Crm.el("span", "text-body-secondary", ` #${j.id}`), Crm.el("br"), document.createTextNode(j.reason));
            return li;
        }));
    }

    async function poll() {
        try {
            show(await Crm.getJson(host.dataset.figuresUrl));
        } catch {
            // A dropped request: the next one catches up.
        }
    }

    setInterval(poll, pollMs);
})();
