using System.Net.Mail;

namespace XenoCrm.Core.Validation;

/// <summary>
/// The checks a request's values pass once they have their types: trimmed texts of bounded length, email
/// addresses, amounts of money, timestamps in a sane range. Each names the field it rejects and answers null then.
/// </summary>
public static class FieldRules
{
    private static readonly DateTime Earliest = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Latest = new(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The text trimmed; a blank optional text is null, a blank required one an error.</summary>
    public static string? Text(ValidationErrors errors, string field, string? value, bool required, int maxLength)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            if (required)
            {
                errors.Add(field, value is null ? "Is required." : "Must not be empty.");
            }
            return null;
        }
        if (text.Length > maxLength)
        {
            errors.Add(field, $"Must be at most {maxLength} characters.");
            return null;
        }
        return text;
    }

    /// <summary>The address lower-cased, as customers are matched by it.</summary>
    public static string? Email(ValidationErrors errors, string field, string? value, bool required, int maxLength)
    {
        var text = Text(errors, field, value, required, maxLength);
        if (text is null)
        {
            return null;
        }
        if (!MailAddress.TryCreate(text, out var address) || address.Address != text || !address.Host.Contains('.', StringComparison.Ordinal))
        {
            errors.Add(field, "Must be a valid email address.");
            return null;
        }
        return text.ToLowerInvariant();
    }

    public static decimal? Money(ValidationErrors errors, string field, decimal? value, bool required)
    {
        if (value is not { } amount)
        {
            if (required)
            {
                errors.Add(field, "Is required.");
            }
            return null;
        }
        if (amount < 0)
        {
            errors.Add(field, "Must be zero or more.");
            return null;
        }
        if (amount >= 10_000_000_000_000_000m || amount.Scale > 2 && amount != Math.Round(amount, 2))
        {
            errors.Add(field, "Must be below 10^16 with at most two decimal places.");
            return null;
        }
        return amount;
    }

    /// <summary>The timestamp in UTC; one sent without an offset is taken as UTC.</summary>
    public static DateTime? Timestamp(ValidationErrors errors, string field, DateTime? value)
    {
        if (value is not { } timestamp)
        {
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
            errors.Add(field, "Must be between the years 1900 and 2199.");
            return null;
        }
        return utc;
    }
}
