using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;

namespace XenoCrm.Web.Pages.Settings.Audit;

/// <summary>
/// The audit log, newest first, filtered by person, action and time (UTC). Pages are cut by keyset (the row the
/// previous page ended with), so that an old page costs what the first does and nothing ever reads the whole table.
/// </summary>
public sealed class IndexModel(CrmDbContext db) : PageModel
{
    public const int PageSize = 50;
    public const int MaxActorLength = AuditActor.NameMaxLength;

    // What <input type="datetime-local"> sends (with or without seconds), or a day alone.
    private static readonly string[] _minuteFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"];
    private static readonly string[] _secondFormats = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss'Z'"];
    private const string DayFormat = "yyyy-MM-dd";
    private const int MinYear = 2000;
    private const int MaxYear = 9998;

    /// <param name="Actor">The start of a person's email or of <c>api-key:…</c>.</param>
    /// <param name="Action">One of <see cref="AuditActions.All"/>.</param>
    /// <param name="From">UTC, inclusive: <c>2026-12-07T09:30</c> or <c>2026-12-07</c>.</param>
    /// <param name="To">UTC, inclusive to the minute (or the whole day).</param>
    /// <param name="Before">The id of the last row of the previous page.</param>
    public sealed record AuditQuery(string? Actor = null, string? Action = null, string? From = null, string? To = null, string? Before = null);

    public sealed record Row(
        long Id, DateTime OccurredAt, string Actor, string? Address, string Action,
        string? TargetType, string? TargetId, string? TargetLabel, string? Details, string? Outcome);

    public string Actor { get; private set; } = "";
    public string Action { get; private set; } = "";
    public string From { get; private set; } = "";
    public string To { get; private set; } = "";

    /// <summary>What is wrong with the filters, by field; the page then lists nothing.</summary>
    public Dictionary<string, string> Errors { get; } = [];

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    /// <summary>The id the next (older) page starts before; null on the last page.</summary>
    public long? OlderBefore { get; private set; }

    public bool IsFirstPage { get; private set; } = true;

    public bool IsFiltered => Actor.Length > 0 || Action.Length > 0 || From.Length > 0 || To.Length > 0;

    public async Task<IActionResult> OnGetAsync([FromQuery] AuditQuery query, CancellationToken ct)
    {
        Actor = (query.Actor ?? "").Trim().ToLowerInvariant();
        Action = (query.Action ?? "").Trim();
        From = (query.From ?? "").Trim();
        To = (query.To ?? "").Trim();

        if (Actor.Length > MaxActorLength)
        {
            Errors["actor"] = $"A person is at most {MaxActorLength} characters.";
        }
        if (Action.Length > 0 && !AuditActions.IsKnown(Action))
        {
            Errors["action"] = "Choose an action from the list.";
        }
        var from = ParseTime("from", From, endOfPeriod: false);
        var to = ParseTime("to", To, endOfPeriod: true);
        if (from is { } f && to is { } t && f >= t)
        {
            Errors["to"] = "‘To’ must be after ‘From’.";
        }
        long? before = null;
        if (!string.IsNullOrEmpty(query.Before))
        {
            if (long.TryParse(query.Before, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                before = id;
            }
            else
            {
                Errors["before"] = "That page link is broken; start again from the newest entries.";
            }
        }
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var rows = db.AuditLog.AsNoTracking();
        if (Actor.Length > 0)
        {
            // A prefix: a range on the (actor, occurred_at) index.
            var prefix = LikePattern.Escape(Actor) + "%";
            rows = rows.Where(e => EF.Functions.Like(e.Actor, prefix, LikePattern.EscapeCharacter));
        }
        if (Action.Length > 0)
        {
            rows = rows.Where(e => e.Action == Action);
        }
        if (from is { } since)
        {
            rows = rows.Where(e => e.OccurredAt >= since);
        }
        if (to is { } until)
        {
            rows = rows.Where(e => e.OccurredAt < until);
        }
        if (before is { } last)
        {
            IsFirstPage = false;
            // The previous page's last row, by its time and id: the order the list has, so no row is skipped or shown twice.
            if (await db.AuditLog.Where(e => e.Id == last).Select(e => (DateTime?)e.OccurredAt).SingleOrDefaultAsync(ct) is { } at)
            {
                rows = rows.Where(e => e.OccurredAt < at || e.OccurredAt == at && e.Id < last);
            }
        }
        var page = await rows
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Take(PageSize + 1)
            .Select(e => new Row(e.Id, e.OccurredAt, e.Actor, e.ActorAddress, e.Action, e.TargetType, e.TargetId, e.TargetLabel, e.Details, e.Outcome))
            .ToListAsync(ct);
        Rows = page.Count > PageSize ? page[..PageSize] : page;
        OlderBefore = page.Count > PageSize ? Rows[^1].Id : null;
        return Page();
    }

    /// <summary>This page with the same filters; <paramref name="before"/> null for the newest entries.</summary>
    public string? UrlFor(long? before) => Url.Page("/Settings/Audit/Index", new
    {
        actor = Actor.Length == 0 ? null : Actor,
        action = Action.Length == 0 ? null : Action,
        from = From.Length == 0 ? null : From,
        to = To.Length == 0 ? null : To,
        before,
    });

    /// <summary>A time typed or picked in UTC; for the end of a range, the end of the minute (or day) it names.</summary>
    private DateTime? ParseTime(string field, string text, bool endOfPeriod)
    {
        if (text.Length == 0)
        {
            return null;
        }
        const DateTimeStyles utc = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        var name = field == "from" ? "From" : "To";
        TimeSpan period;
        if (DateTime.TryParseExact(text, _minuteFormats, CultureInfo.InvariantCulture, utc, out var time))
        {
            period = TimeSpan.FromMinutes(1);
        }
        else if (DateTime.TryParseExact(text, _secondFormats, CultureInfo.InvariantCulture, utc, out time))
        {
            period = TimeSpan.FromSeconds(1);
        }
        else if (DateTime.TryParseExact(text, DayFormat, CultureInfo.InvariantCulture, utc, out time))
        {
            period = TimeSpan.FromDays(1);
        }
        else
        {
            Errors[field] = $"‘{name}’ is not a date and time: pick one, or type it as 2026-12-07T09:30 (UTC) or 2026-12-07.";
            return null;
        }
        // Also keeps the end of a range, and the parameter, inside what every database's DATETIME holds.
        if (time.Year is < MinYear or > MaxYear)
        {
            Errors[field] = $"‘{name}’ must be between the years {MinYear} and {MaxYear}.";
            return null;
        }
        return endOfPeriod ? time + period : time;
    }
}
