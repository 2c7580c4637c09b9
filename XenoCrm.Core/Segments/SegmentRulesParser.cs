using System.Globalization;
using System.Text.Json;

namespace XenoCrm.Core.Segments;

/// <summary>
/// Reads a rule tree from its JSON wire form and checks it against the catalog, collecting every
/// mistake with its place in the tree ("group 2, rule 3: 'between' needs two numbers"). Only a
/// tree without mistakes is returned: fields and operators then come from the catalog, and values
/// are typed, so nothing a user typed is ever more than a value.
/// <code>
/// { "op": "and", "not": false, "rules": [ { "field": "total_spend", "operator": "gt", "value": 10000 }, { "op": "or", "rules": [ … ] } ] }
/// </code>
/// </summary>
public static class SegmentRulesParser
{
    public const int Version = 1;
    private const decimal MaxNumber = 10_000_000_000_000_000m;
    private const int MaxDays = 36_500;
    // Enough to fix a tree by; a hostile tree of 10,000 broken nodes gets no 10,000-line answer.
    private const int MaxErrors = 25;
    private static readonly string[] GroupMembers = ["version", "op", "not", "rules"];
    private static readonly string[] RuleMembers = ["field", "operator", "value"];

    public static (RuleGroup? Tree, IReadOnlyList<SegmentError> Errors) Parse(JsonElement json, SegmentLimits? limits = null)
    {
        var reader = new Reader(limits ?? SegmentLimits.Default);
        RuleGroup? tree;
        try
        {
            tree = reader.Group(json, "", depth: 1, isRoot: true);
        }
        catch (InvalidOperationException)
        {
            // Valid JSON can still escape a lone surrogate ("\ud800"), which is no .NET string.
            return (null, [new SegmentError("", "The rules contain text that is not valid Unicode.")]);
        }
        if (reader.RuleCount == 0 && reader.Errors.Count == 0)
        {
            reader.Errors.Add(new SegmentError("", "A segment needs at least one rule."));
        }
        if (reader.TooManyRules)
        {
            reader.Errors.Add(new SegmentError("", $"A segment has at most {reader.Limits.MaxRules} rules."));
        }
        return reader.Errors.Count == 0 ? (tree, []) : (null, reader.Errors);
    }

    private sealed class Reader(SegmentLimits limits)
    {
        public SegmentLimits Limits => limits;
        public List<SegmentError> Errors { get; } = [];
        public int RuleCount { get; private set; }
        public bool TooManyRules { get; private set; }

        public RuleGroup? Group(JsonElement json, string path, int depth, bool isRoot)
        {
            if (json.ValueKind != JsonValueKind.Object)
            {
                return Fail<RuleGroup>(path, "A group must be a JSON object with \"op\" and \"rules\".");
            }
            if (depth > limits.MaxDepth)
            {
                return Fail<RuleGroup>(path, $"Groups nest at most {limits.MaxDepth} deep.");
            }
            UnknownMembers(json, path, isRoot ? GroupMembers : GroupMembers[1..]);
            if (isRoot && json.TryGetProperty("version", out var version) && !(version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var v) && v == Version))
            {
                Fail<RuleGroup>(path, $"Unknown rules version; this server reads version {Version}.");
            }
            var op = json.TryGetProperty("op", out var opJson) && opJson.ValueKind == JsonValueKind.String ? opJson.GetString() : null;
            if (op is not ("and" or "or"))
            {
                Fail<RuleGroup>(path, "A group's \"op\" must be \"and\" or \"or\".");
            }
            var not = false;
            if (json.TryGetProperty("not", out var notJson))
            {
                if (notJson.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    not = notJson.GetBoolean();
                }
                else
                {
                    Fail<RuleGroup>(path, "A group's \"not\" must be true or false.");
                }
            }
            if (!json.TryGetProperty("rules", out var rulesJson) || rulesJson.ValueKind != JsonValueKind.Array)
            {
                return Fail<RuleGroup>(path, "A group needs \"rules\": an array of rules and groups.");
            }
            if (rulesJson.GetArrayLength() == 0 && !isRoot)
            {
                Fail<RuleGroup>(path, "A group needs at least one rule.");
            }
            var children = new List<RuleNode>();
            var position = 0;
            foreach (var child in rulesJson.EnumerateArray())
            {
                position++;
                // Reading stops at the first node past the limit, however wide the hostile tree.
                if (RuleCount >= limits.MaxRules || position > limits.MaxRules)
                {
                    TooManyRules = true;
                    break;
                }
                if (Errors.Count >= MaxErrors)
                {
                    break;
                }
                var isGroup = child.ValueKind == JsonValueKind.Object && child.TryGetProperty("rules", out _);
                var childPath = Join(path, (isGroup ? "group " : "rule ") + position.ToString(CultureInfo.InvariantCulture));
                RuleNode? node = isGroup ? Group(child, childPath, depth + 1, isRoot: false) : Rule(child, childPath);
                if (node is not null)
                {
                    children.Add(node);
                }
            }
            return op is null ? null : new RuleGroup(op == "or", not, children);
        }

        private Rule? Rule(JsonElement json, string path)
        {
            RuleCount++;
            if (json.ValueKind != JsonValueKind.Object)
            {
                return Fail<Rule>(path, "A rule must be a JSON object with \"field\", \"operator\" and \"value\".");
            }
            UnknownMembers(json, path, RuleMembers);
            var fieldName = json.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : null;
            var field = fieldName is null ? null : SegmentFields.Find(fieldName);
            if (field is null)
            {
                return Fail<Rule>(path, fieldName is null
                    ? "A rule needs a \"field\"."
                    : $"Unknown field '{Shorten(fieldName)}'. Fields: {string.Join(", ", SegmentFields.All.Select(x => x.Name))}.");
            }
            var op = json.TryGetProperty("operator", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString()! : null;
            var allowed = SegmentFields.OperatorsFor(field.Type);
            if (op is null || !allowed.Contains(op))
            {
                return Fail<Rule>(path, op is null
                    ? "A rule needs an \"operator\"."
                    : $"'{Shorten(op)}' does not apply to {field.Type.ToString().ToLowerInvariant()} field '{field.Name}'. Use one of: {string.Join(", ", allowed)}.");
            }
            var value = json.TryGetProperty("value", out var valueJson) ? valueJson : default;
            var typed = Value(field, op, value, path);
            return typed is null ? null : new Rule(field, op, typed);
        }

        private RuleValue? Value(SegmentField field, string op, JsonElement value, string path)
        {
            var absent = value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;
            switch (op)
            {
                case Operators.IsEmpty or Operators.IsNotEmpty:
                    return absent ? NoValue.Instance : Fail<RuleValue>(path, $"'{op}' takes no value.");
                case Operators.In:
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 || value.GetArrayLength() > limits.MaxListItems)
                    {
                        return Fail<RuleValue>(path, $"'in' needs a list of 1 to {limits.MaxListItems} texts.");
                    }
                    var texts = value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.String ? Text(item.GetString()!) : null).ToList();
                    return texts.Any(t => t is null)
                        ? Fail<RuleValue>(path, $"'in' needs texts of 1 to {limits.MaxTextLength} characters.")
                        : new TextListValue(texts!);
                case Operators.InLastDays or Operators.MoreThanDaysAgo:
                    return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var days) && days is >= 1 and <= MaxDays
                        ? new DaysValue(days)
                        : Fail<RuleValue>(path, $"'{op}' needs a whole number of days from 1 to {MaxDays}.");
                case Operators.Between when field.Type == FieldType.Number:
                    return value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2 && Number(value[0]) is { } low && Number(value[1]) is { } high && low <= high
                        ? new NumberRangeValue(low, high)
                        : Fail<RuleValue>(path, "'between' needs two numbers, the lower first.");
                case Operators.Between:
                    return value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2 && Day(value[0]) is { } from && Day(value[1]) is { } to && from <= to
                        ? new DateRangeValue(from, to)
                        : Fail<RuleValue>(path, "'between' needs two dates (YYYY-MM-DD), the earlier first.");
            }
            return field.Type switch
            {
                FieldType.Text => value.ValueKind == JsonValueKind.String && Text(value.GetString()!) is { } text
                    ? new TextValue(text)
                    : Fail<RuleValue>(path, $"'{op}' needs a text of 1 to {limits.MaxTextLength} characters."),
                FieldType.Number => Number(value) is { } number
                    ? new NumberValue(number)
                    : Fail<RuleValue>(path, $"'{op}' needs a number."),
                _ => Day(value) is { } day
                    ? new DateValue(day)
                    : Fail<RuleValue>(path, $"'{op}' needs a date (YYYY-MM-DD)."),
            };
        }

        private string? Text(string text)
        {
            var trimmed = text.Trim();
            return trimmed.Length is > 0 && trimmed.Length <= limits.MaxTextLength ? trimmed : null;
        }

        private static decimal? Number(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) && Math.Abs(number) < MaxNumber ? number : null;

        private static DateOnly? Day(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return null;
            }
            var text = value.GetString()!;
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return day.Year is >= 1900 and < 2200 ? day : null;
            }
            return value.TryGetDateTimeOffset(out var moment) && moment.Year is >= 1900 and < 2200 ? DateOnly.FromDateTime(moment.UtcDateTime) : null;
        }

        private void UnknownMembers(JsonElement json, string path, string[] known)
        {
            foreach (var member in json.EnumerateObject().Where(m => !known.Contains(m.Name)))
            {
                Fail<RuleNode>(path, $"Unknown member '{Shorten(member.Name)}'.");
            }
        }

        private T? Fail<T>(string path, string message)
            where T : class
        {
            if (Errors.Count < MaxErrors)
            {
                Errors.Add(new SegmentError(path, message));
            }
            return null;
        }

        private static string Join(string parent, string child) => parent.Length == 0 ? child : $"{parent}, {child}";

        // Echoing a 100 KB field name back would turn an error message into an amplifier.
        private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
    }
}
