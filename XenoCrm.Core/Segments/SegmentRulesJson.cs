using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace XenoCrm.Core.Segments;

/// <summary>Writes a validated tree back to its wire form, with the version the parser reads.</summary>
public static class SegmentRulesJson
{
    public static string Write(RuleGroup tree)
    {
        var json = Group(tree);
        json.Insert(0, "version", SegmentRulesParser.Version);
        return json.ToJsonString();
    }

    /// <summary>Reads rules this server stored; they were valid when saved, so a failure here is a bug or a tampered row.</summary>
    public static RuleGroup Read(string stored)
    {
        using var document = JsonDocument.Parse(stored);
        var (tree, errors) = SegmentRulesParser.Parse(document.RootElement, SegmentLimits.Stored);
        return tree ?? throw new InvalidOperationException($"Stored segment rules are invalid: {string.Join("; ", errors)}");
    }

    private static JsonObject Group(RuleGroup group)
    {
        var json = new JsonObject { ["op"] = group.IsOr ? "or" : "and" };
        if (group.Not)
        {
            json["not"] = true;
        }
        json["rules"] = new JsonArray(group.Rules.Select(r => (JsonNode)(r is RuleGroup g ? Group(g) : Rule((Rule)r))).ToArray());
        return json;
    }

    private static JsonObject Rule(Rule rule)
    {
        var json = new JsonObject { ["field"] = rule.Field.Name, ["operator"] = rule.Operator };
        JsonNode? value = rule.Value switch
        {
            TextValue v => v.Text,
            TextListValue v => new JsonArray(v.Texts.Select(t => (JsonNode)t).ToArray()),
            NumberValue v => v.Number,
            NumberRangeValue v => new JsonArray(v.Low, v.High),
            DateValue v => Day(v.Date),
            DateRangeValue v => new JsonArray(Day(v.From), Day(v.To)),
            DaysValue v => v.Days,
            _ => null,
        };
        if (value is not null)
        {
            json["value"] = value;
        }
        return json;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
