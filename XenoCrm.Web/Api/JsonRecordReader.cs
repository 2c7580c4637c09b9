using System.Net.Mail;
using System.Text.Json;

namespace XenoCrm.Web.Api;

/// <summary>
/// Reads one JSON record field by field, collecting every problem under the field's path
/// (<c>items[3].email</c>) instead of stopping at the first, as a deserializer would.
/// Members the record does not define are errors: no client may set an id, an aggregate or a
/// timestamp it does not own.
/// </summary>
internal sealed class JsonRecordReader(JsonElement record, string path, Dictionary<string, List<string>> errors)
{
    private static readonly DateTime Earliest = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Latest = new(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public bool IsObject(IReadOnlySet<string> knownMembers)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            Error(path.Length == 0 ? "$" : path, "Must be a JSON object.");
            return false;
        }
        foreach (var member in record.EnumerateObject())
        {
            if (!knownMembers.Contains(member.Name))
            {
                Error(PathOf(member.Name), $"Unknown member '{member.Name}'. Allowed: {string.Join(", ", knownMembers)}.");
            }
        }
        return true;
    }

    public string? Text(string name, bool required, int maxLength)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Error(PathOf(name), "Must be a string.");
            return null;
        }
        var text = value.GetString()!.Trim();
        if (text.Length == 0)
        {
            if (required)
            {
                Error(PathOf(name), "Must not be empty.");
            }
            return null;
        }
        if (text.Length > maxLength)
        {
            Error(PathOf(name), $"Must be at most {maxLength} characters.");
            return null;
        }
        return text;
    }

    public string? Email(string name, bool required, int maxLength)
    {
        var text = Text(name, required, maxLength);
        if (text is null)
        {
            return null;
        }
        if (!MailAddress.TryCreate(text, out var address) || address.Address != text || !address.Host.Contains('.', StringComparison.Ordinal))
        {
            Error(PathOf(name), "Must be a valid email address.");
            return null;
        }
        return text.ToLowerInvariant();
    }

    public decimal? Money(string name, bool required)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var amount))
        {
            Error(PathOf(name), "Must be a number.");
            return null;
        }
        if (amount < 0)
        {
            Error(PathOf(name), "Must be zero or more.");
            return null;
        }
        if (amount >= 10_000_000_000_000_000m || amount.Scale > 2 && amount != Math.Round(amount, 2))
        {
            Error(PathOf(name), "Must be below 10^16 with at most two decimal places.");
            return null;
        }
        return amount;
    }

    /// <summary>An ISO 8601 timestamp; one without an offset is taken as UTC.</summary>
    public DateTime? Timestamp(string name, bool required)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !value.TryGetDateTime(out var timestamp))
        {
            Error(PathOf(name), "Must be an ISO 8601 date-time, e.g. 2024-05-01T10:30:00Z.");
            return null;
        }
        var utc = timestamp.Kind switch
        {
            DateTimeKind.Unspecified => DateTime.SpecifyKind(timestamp, DateTimeKind.Utc),
            DateTimeKind.Local => timestamp.ToUniversalTime(),
            _ => timestamp,
        };
        if (utc < Earliest || utc >= Latest)
        {
            Error(PathOf(name), "Must be between the years 1900 and 2199.");
            return null;
        }
        return utc;
    }

    public bool Has(string name) => record.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public void Error(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(message);
    }

    public string PathOf(string name) => path.Length == 0 ? name : $"{path}.{name}";

    private bool TryGet(string name, bool required, out JsonElement value)
    {
        if (record.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        if (required)
        {
            Error(PathOf(name), "Is required.");
        }
        return false;
    }
}
