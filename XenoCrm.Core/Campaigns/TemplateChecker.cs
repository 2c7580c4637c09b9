using Fluid.Ast;
using Fluid.Values;

namespace XenoCrm.Core.Campaigns;

/// <summary>
/// Walks a parsed template once: collects every variable it reads and defines, so that a misspelt field is
/// reported when the campaign is saved rather than rendered empty to a million customers; and swaps the
/// range and capture nodes for their bounded versions. The tree covers every branch, which a trial render
/// with an undefined-variable callback would not.
/// </summary>
internal sealed class TemplateChecker : AstRewriter
{
    /// <summary>Variables Liquid itself defines inside loops.</summary>
    private static readonly string[] LoopVariables = ["forloop", "tablerowloop"];

    private readonly HashSet<string> _defined = new(LoopVariables, StringComparer.Ordinal);
    private readonly List<string> _reads = [];

    /// <summary>Names a template reads that are neither a catalog field nor its own variables, in order of first use.</summary>
    public IReadOnlyList<string> UnknownNames => _reads.Where(IsUnknown).Distinct(StringComparer.Ordinal).ToList();

    public List<string> UnknownFilters { get; } = [];

    private bool IsUnknown(string read)
    {
        var dot = read.IndexOf('.', StringComparison.Ordinal);
        var root = dot < 0 ? read : read[..dot];
        return root == TemplateCustomer.VariableName
            // A bare `customer` would print the whole record, fields outside the catalog included.
            ? dot < 0 || !TemplateCustomer.MemberNames.Contains(read[(dot + 1)..])
            : !_defined.Contains(root);
    }

    protected override Expression VisitMemberExpression(MemberExpression memberExpression)
    {
        var segments = memberExpression.Segments;
        if (segments.Count > 0 && segments[0] is IdentifierSegment root)
        {
            // Only the member right after `customer` is checked: what follows (`.size`, `.first`) is Liquid's own.
            var member = segments.Count > 1 && root.Identifier == TemplateCustomer.VariableName ? segments[1] switch
            {
                IdentifierSegment identifier => identifier.Identifier,
                IndexerSegment { Expression: LiteralExpression { Value: StringValue name } } => name.ToStringValue(),
                _ => null,
            } : null;
            _reads.Add(member is null ? root.Identifier : $"{root.Identifier}.{member}");
        }

        return base.VisitMemberExpression(memberExpression);
    }

    protected override Expression VisitFilterExpression(FilterExpression filterExpression)
    {
        if (!TemplateSandbox.Options.Filters.TryGetValue(filterExpression.Name, out _))
        {
            UnknownFilters.Add(filterExpression.Name);
        }

        return base.VisitFilterExpression(filterExpression);
    }

    protected override Expression VisitRangeExpression(RangeExpression rangeExpression) =>
        new BoundedRangeExpression((RangeExpression)base.VisitRangeExpression(rangeExpression));

    protected override Statement VisitAssignStatement(AssignStatement assignStatement) =>
        Defining(assignStatement.Identifier, () => base.VisitAssignStatement(assignStatement));

    protected override Statement VisitCaptureStatement(CaptureStatement captureStatement)
    {
        _defined.Add(captureStatement.Identifier);
        var visited = (CaptureStatement)base.VisitCaptureStatement(captureStatement);
        return new BoundedCaptureStatement(visited.Identifier, visited.Statements);
    }

    protected override Statement VisitForStatement(ForStatement forStatement) =>
        Defining(forStatement.Identifier, () => base.VisitForStatement(forStatement));

    protected override Statement VisitTableRowStatement(TableRowStatement tableRowStatement) =>
        Defining(tableRowStatement.Identifier, () => base.VisitTableRowStatement(tableRowStatement));

    protected override Statement VisitIncrementStatement(IncrementStatement incrementStatement) =>
        Defining(incrementStatement.Identifier, () => base.VisitIncrementStatement(incrementStatement));

    protected override Statement VisitDecrementStatement(DecrementStatement decrementStatement) =>
        Defining(decrementStatement.Identifier, () => base.VisitDecrementStatement(decrementStatement));

    /// <summary>
    /// Visits a statement that defines a variable: the name is defined before its body is walked, so that the
    /// body's reads of it (a loop's item, an increment's counter) are not reported unknown.
    /// </summary>
    private Statement Defining(string identifier, Func<Statement> visit)
    {
        _defined.Add(identifier);
        return visit();
    }
}
