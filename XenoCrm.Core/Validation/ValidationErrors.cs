namespace XenoCrm.Core.Validation;

/// <summary>
/// Every mistake of one request, each under the field it concerns (<c>items[3].email</c>, <c>rules: group 2</c>,
/// <c>$</c> for the body as a whole). Bounded whatever the input: past <see cref="MaxListed"/> messages the rest are
/// only counted, and a member name the client made up is cut to <see cref="MaxNameLength"/> characters, so that a
/// 2 MB body of unknown members gets a short answer, not a 4 MB one.
/// </summary>
public sealed class ValidationErrors
{
    public const int MaxListed = 50;
    public const int MaxNameLength = 40;
    public const string Body = "$";

    private readonly Dictionary<string, List<string>> _byField = [];
    private int _listed;
    private int _omitted;

    /// <summary>Every mistake added, listed or not.</summary>
    public int Count => _listed + _omitted;

    public bool Any => Count > 0;

    public void Add(string field, string message)
    {
        if (_listed >= MaxListed)
        {
            _omitted++;
            return;
        }
        var key = field.Length == 0 ? Body : field;
        if (!_byField.TryGetValue(key, out var messages))
        {
            _byField[key] = messages = [];
        }
        messages.Add(message);
        _listed++;
    }

    public bool Has(string field) => _byField.ContainsKey(field.Length == 0 ? Body : field);

    /// <summary>The field path of a member: <c>name</c> at the top, <c>items[3].name</c> inside; a long made-up name is cut.</summary>
    public static string PathOf(string parent, string member)
    {
        var name = member.Length <= MaxNameLength ? member : member[..MaxNameLength] + "…";
        return parent.Length == 0 || parent == Body ? name : $"{parent}.{name}";
    }

    /// <summary>The errors by field, as problem details carry them; the omitted ones are counted under <c>$</c>.</summary>
    public Dictionary<string, string[]> ByField()
    {
        var byField = _byField.ToDictionary(e => e.Key, e => e.Value.ToArray());
        if (_omitted > 0)
        {
            var line = $"… and {_omitted} more {(_omitted == 1 ? "mistake" : "mistakes")} not listed; fix these and send again.";
            byField[Body] = byField.TryGetValue(Body, out var body) ? [.. body, line] : [line];
        }
        return byField;
    }
}
