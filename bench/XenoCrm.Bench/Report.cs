using System.Globalization;
using System.Text;

namespace XenoCrm.Bench;

/// <summary>What the database holds after a phase, against what was sent.</summary>
/// <param name="MismatchedCustomers">Customers whose total_spend, order_count, first_order_at or last_order_at differ from SUM/COUNT/MIN/MAX over their orders.</param>
public sealed record Consistency(
    int ExpectedCustomers, int Customers, int ExpectedOrders, int Orders, int DeadLetters,
    int MismatchedCustomers, decimal ExpectedSpend, decimal StoredSpend)
{
    public bool AllCommitted => Customers == ExpectedCustomers && Orders == ExpectedOrders && DeadLetters == 0;

    public bool AggregatesConsistent => MismatchedCustomers == 0 && StoredSpend == ExpectedSpend;
}

/// <param name="OrdersAccepted">From the first order POST until the last 202.</param>
/// <param name="OrdersCommitted">From the first order POST until every order is in the orders table.</param>
public sealed record BatchPhase(int Customers, TimeSpan CustomersCommitted, int Orders, TimeSpan OrdersAccepted, TimeSpan OrdersCommitted, Consistency Consistency);

/// <param name="Sending">From the first request until the last answer.</param>
/// <param name="Committed">From the first request until every order is in the orders table.</param>
public sealed record SinglePhase(int Requests, TimeSpan Sending, double P50Milliseconds, double P99Milliseconds, TimeSpan Committed, Consistency Consistency);

public sealed record BaselinePhase(int Orders, TimeSpan OrdersCommitted, Consistency Consistency);

public sealed record RawBulkLoad(int Rows, TimeSpan Elapsed);

public sealed record IngestReport(
    IngestSettings Settings,
    DateTimeOffset StartedAt,
    string Machine,
    BatchPhase Batch,
    SinglePhase SingleRecords,
    BaselinePhase Baseline,
    RawBulkLoad Raw,
    long WebPeakRssBytes,
    long WorkersPeakRssBytes,
    int RetriedRequests)
{
    private const long Megabyte = 1024 * 1024;

    public double BatchOrdersPerSecond => Rate(Batch.Orders, Batch.OrdersCommitted);

    public double BaselineOrdersPerSecond => Rate(Baseline.Orders, Baseline.OrdersCommitted);

    public double SingleRequestsPerSecond => Rate(SingleRecords.Requests, SingleRecords.Sending);

    public double RawRowsPerSecond => Rate(Raw.Rows, Raw.Elapsed);

    public bool AllRowsCommitted => Batch.Consistency.AllCommitted && SingleRecords.Consistency.AllCommitted && Baseline.Consistency.AllCommitted;

    public bool AggregatesConsistent =>
        Batch.Consistency.AggregatesConsistent && SingleRecords.Consistency.AggregatesConsistent && Baseline.Consistency.AggregatesConsistent;

    /// <summary>The markdown table of the run: each measurement, the ratios, and the service levels the bench holds ingestion to beside them.</summary>
    public string ToMarkdown()
    {
        var s = Settings;
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Ingestion benchmark{(s.IsQuick ? " (quick)" : "")}, {StartedAt:yyyy-MM-dd HH:mm} UTC\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"{Count(s.Customers)} customers and {Count(s.Orders)} orders in batches of {Count(s.RecordsPerRequest)} ({s.BatchConcurrency} concurrent requests); ");
        md.Append(CultureInfo.InvariantCulture,
            $"{Count(s.SingleRequests)} single-order requests ({s.SingleConcurrency} concurrent); baseline {Count(s.BaselineOrders)} orders with Ingestion__BatchSize=1. ");
        md.Append(CultureInfo.InvariantCulture, $"{Machine}. Each phase on a fresh database and virtual host.\n\n");
        if (s.IsQuick)
        {
            md.Append("A quick run checks that the scenario works; its rates are dominated by warm-up and mean little.\n\n");
        }


        md.Append("| measurement | result | target | met |\n|---|---|---|---|\n");
        Row(md, "Batch endpoint, customers end to end", $"{PerSecond(Rate(Batch.Customers, Batch.CustomersCommitted))} ({Seconds(Batch.CustomersCommitted)})");
        Row(md, "Batch endpoint, orders end to end", $"{PerSecond(BatchOrdersPerSecond)} ({Seconds(Batch.OrdersCommitted)})", "≥ 10,000/s", BatchOrdersPerSecond >= 10_000);
        Row(md, "Batch endpoint, orders accepted (until the last 202)", $"{PerSecond(Rate(Batch.Orders, Batch.OrdersAccepted))} ({Seconds(Batch.OrdersAccepted)})");
        Row(md, "Baseline (batch size 1), orders end to end", $"{PerSecond(BaselineOrdersPerSecond)} ({Seconds(Baseline.OrdersCommitted)})");
        var overBaseline = BatchOrdersPerSecond / BaselineOrdersPerSecond;
        Row(md, "Batch ÷ baseline", $"{overBaseline.ToString("0.0", CultureInfo.InvariantCulture)}×", "≥ 10×", overBaseline >= 10);
        Row(md, "Raw MySqlBulkCopy into orders_raw", $"{PerSecond(RawRowsPerSecond)} ({Seconds(Raw.Elapsed)})");
        Row(md, "Batch ÷ raw bulk load", $"{(BatchOrdersPerSecond / RawRowsPerSecond).ToString("0.00", CultureInfo.InvariantCulture)}");
        Row(md, "Single records, requests/s", PerSecond(SingleRequestsPerSecond), "≥ 2,000/s", SingleRequestsPerSecond >= 2_000);
        Row(md, "Single records, p50 latency", Milliseconds(SingleRecords.P50Milliseconds));
        Row(md, "Single records, p99 latency", Milliseconds(SingleRecords.P99Milliseconds), "< 50 ms", SingleRecords.P99Milliseconds < 50);
        Row(md, "Single records, end to end until committed", $"{Seconds(SingleRecords.Committed)} ({PerSecond(Rate(SingleRecords.Requests, SingleRecords.Committed))})");
        Row(md, "Peak RSS, Web (phases 1–2)", Mb(WebPeakRssBytes), "< 300 MB", WebPeakRssBytes < 300 * Megabyte);
        Row(md, "Peak RSS, Workers (phases 1–2)", Mb(WorkersPeakRssBytes), "< 300 MB", WorkersPeakRssBytes < 300 * Megabyte);
        Row(md, "Rows committed, none dead-lettered (batch / single / baseline)",
            $"{Committed(Batch.Consistency)} / {Committed(SingleRecords.Consistency)} / {Committed(Baseline.Consistency)}", "all", AllRowsCommitted);
        Row(md, "Aggregates = SUM/COUNT/MIN/MAX over orders (batch / single / baseline)",
            $"{Aggregates(Batch.Consistency)} / {Aggregates(SingleRecords.Consistency)} / {Aggregates(Baseline.Consistency)}", "ok", AggregatesConsistent);
        if (RetriedRequests > 0)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n{Count(RetriedRequests)} requests answered 503 and were sent again.\n");
        }

        return md.ToString();
    }

    private static void Row(StringBuilder md, string measurement, string result, string target = "", bool? met = null) =>
        md.Append(CultureInfo.InvariantCulture, $"| {measurement} | {result} | {target} | {met switch { true => "yes", false => "**no**", null => "" }} |\n");

    private static double Rate(int count, TimeSpan elapsed) => count / Math.Max(elapsed.TotalSeconds, 1e-6);

    private static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string PerSecond(double rate) => $"{rate.ToString("N0", CultureInfo.InvariantCulture)}/s";

    private static string Seconds(TimeSpan elapsed) => $"{elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s";

    private static string Milliseconds(double value) => $"{value.ToString("0.0", CultureInfo.InvariantCulture)} ms";

    private static string Mb(long bytes) => $"{(bytes / (double)Megabyte).ToString("0", CultureInfo.InvariantCulture)} MB";

    private static string Committed(Consistency c) =>
        c.AllCommitted ? "all" : $"{Count(c.Customers)}/{Count(c.ExpectedCustomers)} customers, {Count(c.Orders)}/{Count(c.ExpectedOrders)} orders, {Count(c.DeadLetters)} dead letters";

    private static string Aggregates(Consistency c) =>
        c.AggregatesConsistent ? "ok" : $"mismatch ({Count(c.MismatchedCustomers)} customers; spend {c.StoredSpend} stored vs {c.ExpectedSpend} sent)";
}
