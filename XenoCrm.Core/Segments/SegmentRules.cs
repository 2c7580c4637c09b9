namespace XenoCrm.Core.Segments;

/// <summary>A node of a segment's rule tree: a group of nodes, or one rule.</summary>
public abstract record RuleNode;

/// <summary>Rules combined with AND (or OR), optionally negated as a whole.</summary>
public sealed record RuleGroup(bool IsOr, bool Not, IReadOnlyList<RuleNode> Rules) : RuleNode;

/// <summary>One validated <c>field · operator · value</c>; the value's shape depends on the operator.</summary>
public sealed record Rule(SegmentField Field, string Operator, RuleValue Value) : RuleNode;

public abstract record RuleValue;

public sealed record NoValue : RuleValue
{
    public static readonly NoValue Instance = new();
}

public sealed record TextValue(string Text) : RuleValue;

public sealed record TextListValue(IReadOnlyList<string> Texts) : RuleValue;

public sealed record NumberValue(decimal Number) : RuleValue;

public sealed record NumberRangeValue(decimal Low, decimal High) : RuleValue;

/// <summary>A calendar day (UTC); <c>before</c> means earlier than its start, <c>after</c> later than its end.</summary>
public sealed record DateValue(DateOnly Date) : RuleValue;

/// <summary>Both days included.</summary>
public sealed record DateRangeValue(DateOnly From, DateOnly To) : RuleValue;

public sealed record DaysValue(int Days) : RuleValue;

/// <summary>Bounds that keep every tree cheap to validate, compile and run; <see cref="SegmentOptions"/> sets the first two.</summary>
public sealed record SegmentLimits(int MaxDepth = 5, int MaxRules = 50, int MaxTextLength = 200, int MaxListItems = 100)
{
    public const int StoredMaxDepth = 10;
    public const int StoredMaxRules = 500;

    public static readonly SegmentLimits Default = new();

    /// <summary>
    /// What stored rules are read with: the widest limits an operator can configure, so that lowering
    /// the limits later never makes a saved segment or a campaign's frozen rules unreadable.
    /// </summary>
    public static readonly SegmentLimits Stored = new(StoredMaxDepth, StoredMaxRules);
}

/// <param name="Path">Where the mistake is, in words a person can follow: "group 2, rule 3".</param>
public sealed record SegmentError(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
