using System.Globalization;
using System.Text;
using XenoCrm.Core.Campaigns;

namespace XenoCrm.Web.Pages.Campaigns;

/// <summary>
/// A campaign's message log as RFC 4180 CSV. Text that a spreadsheet would run as a formula
/// (starting with = + - @, or a tab or carriage return) is prefixed with a quote, as OWASP advises.
/// </summary>
public static class MessageLogCsv
{
    public const int FlushEvery = 2_000;

    private static readonly string[] _header =
        ["message_id", "customer_id", "customer_name", "email", "status", "attempt", "failure_reason", "message", "submitted_at", "completed_at"];

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<CampaignStatistics.MessageRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        // A byte-order mark, so that spreadsheet programs read the names as UTF-8.
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), bufferSize: 64 * 1024, leaveOpen: true)
        {
            NewLine = "\r\n",
        };
        await writer.WriteLineAsync(string.Join(',', _header));
        var line = new StringBuilder();
        var written = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            line.Clear();
            line.Append(row.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(row.CustomerId.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Cell(row.CustomerName)).Append(',')
                .Append(Cell(row.Email)).Append(',')
                .Append(row.Status.ToString().ToUpperInvariant()).Append(',')
                .Append(row.Attempt.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Cell(row.FailureReason)).Append(',')
                .Append(Cell(row.Message)).Append(',')
                .Append(Time(row.SubmittedAt)).Append(',')
                .Append(Time(row.CompletedAt));
            await writer.WriteLineAsync(line, ct);
            if (++written % FlushEvery == 0)
            {
                await writer.FlushAsync(ct);
            }
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>One text cell: neutralized if a spreadsheet would take it for a formula, quoted if it holds a comma, quote or line break.</summary>
    public static string Cell(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        if (text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }
        return text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Time(DateTime? utc) => utc?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
}
