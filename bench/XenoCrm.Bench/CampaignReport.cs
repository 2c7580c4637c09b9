using System.Globalization;
using System.Text;

namespace XenoCrm.Bench;

/// <summary>What a finished send left behind, against its audience.</summary>
/// <param name="AudienceSize">campaigns.audience_size, as the start job recorded it.</param>
/// <param name="Sent">campaigns.sent; <paramref name="Failed"/> and <paramref name="Skipped"/> likewise.</param>
/// <param name="ApiSent">From <c>GET /api/v1/campaigns/{id}</c>, as are <paramref name="ApiFailed"/> and <paramref name="ApiPending"/>.</param>
/// <param name="DeliveryAccepted">Messages Delivery accepted, from its <c>GET /api/v1/messages/stats</c>.</param>
public sealed record CampaignChecks(
    int Recipients, long LogRows, long SentRows, long FailedRows, int AudienceSize, int Sent, int Failed, int Skipped,
    long ApiSent, long ApiFailed, long ApiPending, long DeliveryAccepted)
{
    public bool RowsMatchAudience => LogRows == Recipients && AudienceSize == Recipients;

    public bool EveryRowTerminal => SentRows + FailedRows == LogRows;

    public bool CountersMatchRows =>
        Sent == SentRows && Failed == FailedRows && Skipped == 0 && ApiSent == SentRows && ApiFailed == FailedRows && ApiPending == 0;

    public bool DeliveryAcceptedAudience => DeliveryAccepted == Recipients;

    public bool AllPassed => RowsMatchAudience && EveryRowTerminal && CountersMatchRows && DeliveryAcceptedAudience;
}

/// <param name="CpuSeconds">CPU time (user + system) the process used from the send request until every recipient was terminal.</param>
public sealed record ProcessUsage(string Process, long PeakRssBytes, double CpuSeconds);

/// <param name="ChunkSize">Campaigns__ChunkSize given to the Workers; null: the product's default.</param>
/// <param name="Snapshotted">From the send request until the campaign's audience was first seen taken (null if the poll never saw it before completion).</param>
/// <param name="AllTerminal">From the send request until the campaign was Completed: every recipient Sent or Failed.</param>
/// <param name="MachineBusySeconds">CPU time the whole machine spent busy over <paramref name="AllTerminal"/>, every process and core together.</param>
public sealed record CampaignSend(
    int Recipients, int? ChunkSize, TimeSpan Seeding, TimeSpan? Snapshotted, TimeSpan AllTerminal, CampaignChecks Checks,
    IReadOnlyList<ProcessUsage> Processes, double MachineBusySeconds)
{
    public double MessagesPerSecond => Recipients / Math.Max(AllTerminal.TotalSeconds, 1e-6);
}

public sealed record CampaignReport(CampaignSettings Settings, DateTimeOffset StartedAt, string Machine, CampaignSend Send, CampaignSend Baseline)
{
    public const int TargetRecipients = 1_000_000;
    public const double TargetSeconds = 150;
    public const double TargetMessagesPerSecond = TargetRecipients / TargetSeconds;
    public const double RatioTarget = 20;
    public const long RssTargetBytes = 400 * Megabyte;
    private const long Megabyte = 1024 * 1024;

    /// <summary>Messages/s of the send ÷ messages/s of the chunk-size-1 baseline.</summary>
    public double OverBaseline => Send.MessagesPerSecond / Math.Max(Baseline.MessagesPerSecond, 1e-6);

    public bool AllChecksPassed => Send.Checks.AllPassed && Baseline.Checks.AllPassed;

    /// <summary>The targets this run missed, in the words of the table.</summary>
    public IReadOnlyList<string> MissedTargets
    {
        get
        {
            var missed = new List<string>();
            if (Send.Recipients >= TargetRecipients && Send.AllTerminal.TotalSeconds > TargetSeconds)
            {
                missed.Add($"all terminal in {Seconds(Send.AllTerminal)} (target ≤ {TargetSeconds} s)");
            }

            if (Send.MessagesPerSecond < TargetMessagesPerSecond)
            {
                missed.Add($"{PerSecond(Send.MessagesPerSecond)} (target ≥ {PerSecond(TargetMessagesPerSecond)})");
            }

            if (OverBaseline < RatioTarget)
            {
                missed.Add($"{Ratio(OverBaseline)} the chunk-size-1 baseline (target ≥ {RatioTarget}×)");
            }

            missed.AddRange(Send.Processes.Where(p => p.PeakRssBytes >= RssTargetBytes).Select(p => $"{p.Process} peaked at {Mb(p.PeakRssBytes)} (target < 400 MB)"));
            return missed;
        }
    }

    /// <summary>The markdown table of the run, with the targets above beside each measurement, and the correctness checks.</summary>
    public string ToMarkdown()
    {
        var s = Settings;
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Campaign send benchmark{(s.IsQuick ? " (quick)" : "")}, {StartedAt:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"{Count(Send.Recipients)} customers with no orders from `seed --seed {s.Seed}`, a segment of everyone (`order_count >= 0`) and the template `{s.Template}`, ");
        md.Append(CultureInfo.InvariantCulture,
            $"sent through XenoCrm.Web, {s.Workers} XenoCrm.Workers and XenoCrm.Delivery as separate processes in the distributed mode ({ChunkSize(Send.ChunkSize)}). ");
        md.Append(CultureInfo.InvariantCulture,
            $"Timed from `POST /api/v1/campaigns/{{id}}/send` until the campaign is Completed (every recipient Sent or Failed). ");
        md.Append(CultureInfo.InvariantCulture,
            $"Baseline: {Count(Baseline.Recipients)} recipients with `Campaigns__ChunkSize=1`, on a deployment of its own over the same servers, after the main send. ");
        md.Append(CultureInfo.InvariantCulture, $"{Machine}.\n\n");
        if (s.IsQuick)
        {
            md.Append("A quick run checks that the scenario works on a small audience; its rates are dominated by start-up and mean little.\n\n");
        }

        md.Append("| measurement | result | target | met |\n|---|---|---|---|\n");
        Row(md, $"Seeding {Count(Send.Recipients)} customers (`seed`, LOAD DATA)", Seconds(Send.Seeding));
        Row(md, "Audience snapshotted (start job's INSERT … SELECT), after the send request",
            Send.Snapshotted is { } snapshotted ? Seconds(snapshotted) : "not seen before completion");
        var atScale = Send.Recipients >= TargetRecipients;
        Row(md, $"All {Count(Send.Recipients)} recipients terminal, after the send request", Seconds(Send.AllTerminal),
            $"≤ {TargetSeconds} s for {Count(TargetRecipients)}", atScale ? Send.AllTerminal.TotalSeconds <= TargetSeconds : null);
        Row(md, "Messages/s, end to end", PerSecond(Send.MessagesPerSecond),
            $"≥ {PerSecond(TargetMessagesPerSecond)}", Send.MessagesPerSecond >= TargetMessagesPerSecond);
        Row(md, $"Baseline (chunk size 1): {Count(Baseline.Recipients)} recipients terminal",
            $"{Seconds(Baseline.AllTerminal)}, {PerSecond(Baseline.MessagesPerSecond)}");
        Row(md, $"Baseline extrapolated per message to {Count(Send.Recipients)} recipients",
            Seconds(TimeSpan.FromSeconds(Send.Recipients / Math.Max(Baseline.MessagesPerSecond, 1e-6))));
        Row(md, "Send ÷ baseline, per message", Ratio(OverBaseline), $"≥ {RatioTarget}×", OverBaseline >= RatioTarget);

        md.Append(CultureInfo.InvariantCulture, $"\n## Processes of the {Count(Send.Recipients)}-recipient deployment\n\n");
        md.Append("Peak RSS over the process's life (seeding runs in a process of its own); CPU from the send request until every recipient was terminal, ");
        md.Append(CultureInfo.InvariantCulture,
            $"out of {CpuSeconds(Environment.ProcessorCount * Send.AllTerminal.TotalSeconds)} the machine's {Environment.ProcessorCount} cores had.\n\n");
        md.Append("| process | peak RSS | CPU during the send | target | met |\n|---|--:|--:|---|---|\n");
        foreach (var process in Send.Processes)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| {process.Process} | {Mb(process.PeakRssBytes)} | {CpuSeconds(process.CpuSeconds)} | < 400 MB | {Met(process.PeakRssBytes < RssTargetBytes)} |\n");
        }

        md.Append(CultureInfo.InvariantCulture,
            $"| everything else: MariaDB, RabbitMQ, Redis, the bench, other load | | {CpuSeconds(Send.MachineBusySeconds - Send.Processes.Sum(p => p.CpuSeconds))} | | |\n");

        md.Append("\n## Checks\n\n| check | send | baseline | met |\n|---|---|---|---|\n");
        Check(md, "Log rows = audience = campaigns.audience_size", c => $"{Count(c.LogRows)} rows, audience {Count(c.AudienceSize)}", c => c.RowsMatchAudience);
        Check(md, "Every row Sent or Failed", c => $"{Count(c.SentRows)} sent + {Count(c.FailedRows)} failed", c => c.EveryRowTerminal);
        Check(md, "Counters = row counts (database; API)",
            c => $"sent {Count(c.Sent)}, failed {Count(c.Failed)}, skipped {Count(c.Skipped)}; API sent {Count(c.ApiSent)}, failed {Count(c.ApiFailed)}, pending {Count(c.ApiPending)}",
            c => c.CountersMatchRows);
        Check(md, "Delivery accepted = audience", c => Count(c.DeliveryAccepted), c => c.DeliveryAcceptedAudience);

        var missed = MissedTargets;
        md.Append(CultureInfo.InvariantCulture,
            $"\nTargets: {(missed.Count == 0 ? "every target in the tables is met" : $"**missed**: {string.Join("; ", missed)}")}. ");
        md.Append(CultureInfo.InvariantCulture, $"Checks: {(AllChecksPassed ? "all pass" : "**at least one failed** (see the table)")}.\n");
        return md.ToString();

        void Check(StringBuilder table, string name, Func<CampaignChecks, string> result, Func<CampaignChecks, bool> passed) =>
            table.Append(CultureInfo.InvariantCulture,
                $"| {name} | {result(Send.Checks)} | {result(Baseline.Checks)} | {Met(passed(Send.Checks) && passed(Baseline.Checks))} |\n");
    }

    private static void Row(StringBuilder md, string measurement, string result, string target = "", bool? met = null) =>
        md.Append(CultureInfo.InvariantCulture, $"| {measurement} | {result} | {target} | {met switch { true => "yes", false => "**no**", null => "" }} |\n");

    private static string Met(bool met) => met ? "yes" : "**no**";

    private static string ChunkSize(int? chunkSize) =>
        chunkSize is { } size ? $"Campaigns__ChunkSize={Count(size)}" : "the default chunk size";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string PerSecond(double rate) => $"{rate.ToString("N0", CultureInfo.InvariantCulture)}/s";

    private static string Ratio(double ratio) => $"{ratio.ToString("0.0", CultureInfo.InvariantCulture)}×";

    private static string Seconds(TimeSpan elapsed) => $"{elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s";

    private static string CpuSeconds(double seconds) => $"{seconds.ToString("0.0", CultureInfo.InvariantCulture)} CPU s";

    private static string Mb(long bytes) => $"{(bytes / (double)Megabyte).ToString("0", CultureInfo.InvariantCulture)} MB";
}
