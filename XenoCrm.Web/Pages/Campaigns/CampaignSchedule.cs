using System.Globalization;
using Microsoft.AspNetCore.Mvc.Rendering;

namespace XenoCrm.Web.Pages.Campaigns;

/// <summary>
/// A send time as the operator means it: a wall-clock time (what <c>datetime-local</c> posts) in an IANA
/// time zone, turned into UTC here with the zone's rules for that date, and shown back the same way.
/// </summary>
public static class CampaignSchedule
{
    /// <summary>What a <c>datetime-local</c> input posts, with or without seconds.</summary>
    public const string InputFormat = "yyyy-MM-ddTHH:mm";

    private static readonly string[] _inputFormats = [InputFormat, "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF"];

    private static readonly Lazy<IReadOnlyList<SelectListItem>> _zones = new(() =>
    {
        var ids = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Append("UTC").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. ids.Select(id => new SelectListItem(id, id))];
    });

    /// <summary>The system's zones by IANA id (Linux and macOS name them so; so does .NET on Windows with ICU).</summary>
    public static IReadOnlyList<SelectListItem> Zones => _zones.Value;

    public static bool IsKnownZone(string? id) => id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out _);

    /// <summary>Reads a posted wall-clock time in a zone; on failure <paramref name="error"/> says what is wrong with which.</summary>
    public static bool TryToUtc(string? local, string? zoneId, out DateTime utc, out (string Field, string Message)? error)
    {
        utc = default;
        error = null;
        if (string.IsNullOrWhiteSpace(local)
            || !DateTime.TryParseExact(local.Trim(), _inputFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wallClock))
        {
            error = ("at", "Choose the date and time to send at.");
            return false;
        }
        if (string.IsNullOrWhiteSpace(zoneId) || !TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
        {
            error = ("timeZone", "Choose the time zone of that time.");
            return false;
        }
        wallClock = DateTime.SpecifyKind(wallClock, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wallClock))
        {
            error = ("at", $"{wallClock.ToString("d MMM yyyy, HH:mm", CultureInfo.InvariantCulture)} does not exist in {zone.Id}: the clocks skip it. Choose another time.");
            return false;
        }
        // An ambiguous time (clocks going back) is taken as standard time, as TimeZoneInfo does.
        utc = TimeZoneInfo.ConvertTimeToUtc(wallClock, zone);
        return true;
    }

    /// <summary>The value for a <c>datetime-local</c> input showing <paramref name="utc"/> in the zone.</summary>
    public static string ToInput(DateTime utc, string? zoneId) => InZone(utc, zoneId).Local.ToString(InputFormat, CultureInfo.InvariantCulture);

    /// <summary>"1 Dec 2026, 09:00 Asia/Kolkata (UTC+05:30)", or "1 Dec 2026, 03:30 UTC".</summary>
    public static string Describe(DateTime utc, string? zoneId)
    {
        var (local, zone) = InZone(utc, zoneId);
        if (zone.Id is "UTC" or "Etc/UTC")
        {
            return string.Create(CultureInfo.InvariantCulture, $"{local:d MMM yyyy, HH:mm} UTC");
        }
        var offset = zone.GetUtcOffset(utc);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return string.Create(CultureInfo.InvariantCulture,
            $"{local:d MMM yyyy, HH:mm} {zone.Id} (UTC{sign}{offset.Duration():hh\\:mm})");
    }

    private static (DateTime Local, TimeZoneInfo Zone) InZone(DateTime utc, string? zoneId)
    {
        var zone = zoneId is not null && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var found) ? found : TimeZoneInfo.Utc;
        return (TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone), zone);
    }
}
