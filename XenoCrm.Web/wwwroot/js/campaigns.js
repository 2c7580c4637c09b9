// The campaigns list and a campaign's page: while a listed campaign is scheduled or sending, its numbers
// and progress bar are refreshed in place from the list page's Progress handler (the same query as the
// page itself); on a campaign's page the sends-over-time chart is drawn with Chart.js from the Timeline
// handler. Text from the server goes in with textContent only.
"use strict";

(() => {
    const pollMs = 2000;
    const chartRefreshMs = 10000;
    const fields = ["status", "audience", "sent", "failed", "skipped", "pending", "deliveryRate", "attempt", "percent"];

    const host = document.querySelector("[data-progress-url]");
    const chartCanvas = document.getElementById("campaign-chart");
    let chart = null;
    let chartLoadedAt = 0;

    const activeCampaigns = () => host ? [...host.querySelectorAll("[data-campaign][data-active='true']")] : [];

    function show(progress) {
        for (const campaign of host.querySelectorAll(`[data-campaign='${CSS.escape(String(progress.id))}']`)) {
            campaign.dataset.active = progress.active ? "true" : "false";
            for (const name of fields) {
                for (const out of campaign.querySelectorAll(`[data-field='${name}']`)) {
                    out.textContent = name === "percent" ? `${progress.percent}%` : progress[name];
                }
            }
            for (const badge of campaign.querySelectorAll("[data-field='status']")) {
                badge.className = `${[...badge.classList].filter((c) => !c.startsWith("text-bg-")).join(" ")} ${progress.statusClass}`;
            }
            for (const bar of campaign.querySelectorAll("progress[data-field='progress']")) {
                bar.value = progress.percent;
                bar.textContent = `${progress.percent}%`;
                bar.classList.remove("progress-running", "progress-completed", "progress-cancelled");
                bar.classList.add(progress.progressClass);
            }
        }
    }

    async function poll() {
        const polled = activeCampaigns();
        if (polled.length === 0) {
            return;
        }
        const query = new URLSearchParams();
        for (const campaign of polled) {
            query.append("ids", campaign.dataset.campaign);
        }
        try {
            for (const progress of await Crm.getJson(`${host.dataset.progressUrl}&${query}`)) {
                show(progress);
            }
        } catch {
            // A dropped request: the next one catches up.
        }
        if (activeCampaigns().length === 0) {
            // A campaign's page offers other actions, failures and log rows once it is done: show them.
            if (host.hasAttribute("data-reload-when-done")) {
                window.location.reload();
            }
            return;
        }
        if (chart && Date.now() - chartLoadedAt > chartRefreshMs) {
            loadChart();
        }
        setTimeout(poll, pollMs);
    }

    const cssColor = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

    async function loadChart() {
        chartLoadedAt = Date.now();
        let points;
        try {
            points = await Crm.getJson(chartCanvas.dataset.timelineUrl);
        } catch {
            return;
        }
        const empty = document.getElementById("campaign-chart-empty");
        empty.classList.toggle("d-none", points.length > 0);
        chartCanvas.parentElement.classList.toggle("d-none", points.length === 0);
        const labels = points.map((p) => new Date(p.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
        const sent = points.map((p) => p.sent);
        const failed = points.map((p) => p.failed);
        if (chart) {
            chart.data.labels = labels;
            chart.data.datasets[0].data = sent;
            chart.data.datasets[1].data = failed;
            chart.update();
            return;
        }
        chart = new window.Chart(chartCanvas, {
            type: "bar",
            data: {
                labels,
                datasets: [
                    { label: "Sent", data: sent, backgroundColor: cssColor("--bs-success", "#198754") },
                    { label: "Failed", data: failed, backgroundColor: cssColor("--bs-danger", "#dc3545") },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    x: { stacked: true, title: { display: true, text: "Time (your clock)" } },
                    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Messages" } },
                },
            },
        });
    }

    if (chartCanvas && window.Chart) {
        loadChart();
    }
    if (host) {
        setTimeout(poll, pollMs);
    }
})();
