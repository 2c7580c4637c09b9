using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;

namespace XenoCrm.Core.Segments;

/// <summary>
/// Turns a validated rule tree into a LINQ predicate over customers that EF Core translates to
/// SQL. Fields and operators are picked from the catalog by name; every value the user gave is
/// captured in a closure, which EF sends as a parameter, so no user text becomes SQL.
/// <para>
/// Every condition is two-valued (never SQL NULL), so NOT on a group means exactly "not this":
/// a missing value fails every test but "not equals". Text tests ignore ASCII case on every
/// provider: patterns are LIKE with escaped wildcards; equality is <c>=</c> on MySQL, whose
/// case-insensitive collation lets it use the column's index, and LIKE on SQLite, whose
/// <c>=</c> would compare case. A list (<c>in</c>) is one <c>IN</c> on both: on SQLite its left side is
/// <c>COLLATE NOCASE</c>, which SQLite applies to the whole IN and which folds ASCII case as LIKE does.
/// Dates are UTC days.
/// </para>
/// <para>Each group's parts are written in <see cref="EvaluationOrder"/>, cheapest to settle first.</para>
/// <para>
/// SQLite refuses an expression whose parse tree is more than 1,000 deep, and a chain <c>a AND b AND c …</c> is as
/// deep as it is long. EF prints every AND (or OR) that meets another one flat, whatever the shape of the LINQ tree:
/// the connectives inside each rule (<c>x IS NOT NULL AND x &gt;= @p AND x &lt;= @q</c>) and those of nested groups of
/// the same kind all join one chain, up to four per rule. A tree of up to <see cref="PlainRulesOnSqlite"/> rules
/// stays far below the limit as it is. A bigger one (an operator may allow up to
/// <see cref="SegmentLimits.StoredMaxRules"/> rules) is written on SQLite as a count of the parts that hold:
/// <c>CASE WHEN part THEN 1 ELSE 0 END + … = n</c> for AND, <c>… &gt; 0</c> for OR. Each CASE encloses its part, so
/// nothing of it joins the chain of its group, and a group's chain is only as long as its parts are many: along any
/// path from the root the chains add up to at most the rules plus the depth, about 510, plus a few levels for each
/// group and rule. (Still open: past about 327 lists of 100 values, which only a raised <c>Segments:MaxRules</c>
/// allows, the values outnumber SQLite's 32,766 parameters.)
/// </para>
/// </summary>
public static class SegmentCompiler
{
    /// <summary>
    /// The most rules a tree may have for SQLite to get it as plain AND and OR: four connectives a rule at most
    /// makes a chain of at most about 400, well below SQLite's 1,000 (SegmentCompilerSqlTests runs the widest such
    /// trees under a limit of 600).
    /// </summary>
    public const int PlainRulesOnSqlite = 100;

    public static Expression<Func<Customer, bool>> Compile(RuleGroup tree, DateTime nowUtc, CrmDatabaseProvider provider)
    {
        var customer = Expression.Parameter(typeof(Customer), "c");
        var counted = provider == CrmDatabaseProvider.Sqlite && RuleCount(tree) > PlainRulesOnSqlite;
        var context = new CompileContext(customer, nowUtc, provider, counted);
        return Expression.Lambda<Func<Customer, bool>>(Node(tree, context), customer);
    }

    /// <param name="CountedGroups">Whether groups are written as a count of their parts that hold (see the class remarks).</param>
    private sealed record CompileContext(ParameterExpression Customer, DateTime Now, CrmDatabaseProvider Provider, bool CountedGroups);

    private static int RuleCount(RuleNode node) => node switch
    {
        RuleGroup group => group.Rules.Sum(RuleCount),
        _ => 1,
    };

    private static Expression Node(RuleNode node, CompileContext context) => node switch
    {
        RuleGroup group => Group(group, context),
        Rule rule => Rule(rule, context),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static Expression Group(RuleGroup group, CompileContext context)
    {
        var parts = EvaluationOrder.Arrange(group).Select(r => Node(r, context)).ToList();
        if (context.CountedGroups && parts.Count > 1)
        {
            return CountOf(parts, group.IsOr, group.Not);
        }
        Func<Expression, Expression, Expression> join = group.IsOr ? Expression.OrElse : Expression.AndAlso;
        var combined = parts.Count == 0 ? Expression.Constant(true) : Balanced(parts, join);
        return group.Not ? Expression.Not(combined) : combined;
    }

    /// <summary>
    /// The parts as one sum of <c>CASE WHEN part THEN 1 ELSE 0 END</c>, compared with their number (AND) or with 0 (OR).
    /// Every part is two-valued, so the count is exact.
    /// </summary>
    private static BinaryExpression CountOf(List<Expression> parts, bool isOr, bool not)
    {
        var holding = Balanced(parts.Select(p => (Expression)Expression.Condition(p, Expression.Constant(1), Expression.Constant(0))).ToList(), Expression.Add);
        var all = Expression.Constant(parts.Count);
        var none = Expression.Constant(0);
        return (isOr, not) switch
        {
            (false, false) => Expression.Equal(holding, all),
            (false, true) => Expression.NotEqual(holding, all),
            (true, false) => Expression.NotEqual(holding, none),
            (true, true) => Expression.Equal(holding, none),
        };
    }

    /// <summary>
    /// Combines the parts, in their order, as a balanced tree: its depth, and so the depth of the recursion in EF's
    /// visitors, grows with the logarithm of the number of parts (EF prints it flat all the same).
    /// </summary>
    private static T Balanced<T>(IReadOnlyList<T> parts, Func<T, T, T> combine)
    {
        T Range(int start, int count) => count == 1
            ? parts[start]
            : combine(Range(start, count / 2), Range(start + count / 2, count - count / 2));
        return Range(0, parts.Count);
    }

    private static Expression Rule(Rule rule, CompileContext context) => rule.Field.Type switch
    {
        FieldType.Text when rule.Field.Name == "email_domain" => Apply(EmailDomain(rule, context.Provider), c => c.Email, context.Customer),
        FieldType.Text => Apply(Text(rule, context.Provider), TextField(rule.Field.Name), context.Customer),
        FieldType.Number when rule.Field.Name == "total_spend" => Apply(Number(rule), c => (decimal?)c.TotalSpend, context.Customer),
        FieldType.Number when rule.Field.Name == "order_count" => Apply(Count(rule), c => c.OrderCount, context.Customer),
        FieldType.Number => Apply(Number(rule), c => c.AvgOrderValue, context.Customer),
        _ => Apply(Date(rule, context.Now), DateField(rule.Field.Name), context.Customer),
    };

    private static Expression<Func<Customer, string?>> TextField(string name) => name switch
    {
        "name" => c => c.Name,
        "email" => c => c.Email,
        "city" => c => c.City,
        "country" => c => c.Country,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Expression<Func<Customer, DateTime?>> DateField(string name) => name switch
    {
        "signed_up_at" => c => c.SignedUpAt,
        "first_order_at" => c => c.FirstOrderAt,
        "last_order_at" => c => c.LastOrderAt,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Expression<Func<string?, bool>> Text(Rule rule, CrmDatabaseProvider provider)
    {
        Expression<Func<string?, bool>> Equal(string text) => provider == CrmDatabaseProvider.MySql ? s => s != null && s == text : Like(LikePattern.Escape(text));
        switch (rule.Operator, rule.Value)
        {
            case (Operators.IsEmpty, _):
                return s => s == null || s == "";
            case (Operators.IsNotEmpty, _):
                return s => s != null && s != "";
            case (Operators.In, TextListValue list):
                return OneOf(list.Texts, provider == CrmDatabaseProvider.MySql ? s => s : s => EF.Functions.Collate(s, NoCase));
            case (_, TextValue { Text: var text }):
                var escaped = LikePattern.Escape(text);
                return rule.Operator switch
                {
                    Operators.EqualTo => Equal(text),
                    Operators.NotEqualTo => Not(Equal(text)),
                    Operators.Contains => Like("%" + escaped + "%"),
                    Operators.StartsWith => Like(escaped + "%"),
                    Operators.EndsWith => Like("%" + escaped),
                    _ => throw Unexpected(rule),
                };
            default:
                throw Unexpected(rule);
        }
    }

    // SQLite's collation that folds the 26 ASCII letters, and nothing else, as its LIKE does.
    private const string NoCase = "NOCASE";

    /// <summary>
    /// <c>key(s) IN (@p0, @p1, …)</c>: an array built of captured values, each of which EF sends as a parameter. One
    /// IN costs a lookup in a sorted list per row where ORed equalities cost a comparison apiece, and it is one
    /// level of SQLite's parse tree however long the list.
    /// </summary>
    private static Expression<Func<string?, bool>> OneOf(IEnumerable<string> texts, Expression<Func<string, string>> key)
    {
        var s = key.Parameters[0];
        var values = Expression.NewArrayInit(typeof(string), texts.Select(Captured));
        var contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], values, key.Body);
        return Expression.Lambda<Func<string?, bool>>(
            Expression.AndAlso(Expression.NotEqual(s, Expression.Constant(null, typeof(string))), contains), s);
    }

    private static Expression Captured(string text)
    {
        Expression<Func<string>> value = () => text;
        return value.Body;
    }

    /// <summary>
    /// The part of the email after its one @, tested as a pattern on the whole email; a list on SQLite is one
    /// <c>IN</c> of that part, since a hundred ORed patterns there would be a hundred levels of its parse tree.
    /// </summary>
    private static Expression<Func<string?, bool>> EmailDomain(Rule rule, CrmDatabaseProvider provider)
    {
        switch (rule.Operator, rule.Value)
        {
            case (Operators.IsEmpty, _):
                return s => false;
            case (Operators.IsNotEmpty, _):
                return s => true;
            case (Operators.In, TextListValue list) when provider == CrmDatabaseProvider.Sqlite:
                return OneOf(list.Texts, DomainOfEmail());
            case (Operators.In, TextListValue list):
                return Balanced(list.Texts.Select(t => Like("%@" + LikePattern.Escape(t))).ToList(), Or);
            case (_, TextValue { Text: var text }):
                var escaped = LikePattern.Escape(text);
                return rule.Operator switch
                {
                    Operators.EqualTo => Like("%@" + escaped),
                    Operators.NotEqualTo => Not(Like("%@" + escaped)),
                    Operators.Contains => Like("%@%" + escaped + "%"),
                    Operators.StartsWith => Like("%@" + escaped + "%"),
                    Operators.EndsWith => Like("%@%" + escaped),
                    _ => throw Unexpected(rule),
                };
            default:
                throw Unexpected(rule);
        }
    }

    /// <summary>
    /// <c>substr(s, instr(s, '@') + 1) COLLATE NOCASE</c>: the part after the first @. Built by hand because EF's SQLite
    /// provider translates only <see cref="string.IndexOf(string)"/>, the culture-sensitive overload the analyzers refuse
    /// in code; in SQL it is <c>instr</c>, which compares exactly.
    /// </summary>
    private static Expression<Func<string, string>> DomainOfEmail()
    {
        var s = Expression.Parameter(typeof(string), "s");
        var at = Expression.Call(s, typeof(string).GetMethod(nameof(string.IndexOf), [typeof(string)])!, Expression.Constant("@"));
        var domain = Expression.Call(s, typeof(string).GetMethod(nameof(string.Substring), [typeof(int)])!, Expression.Add(at, Expression.Constant(1)));
        Expression<Func<string, string>> noCase = d => EF.Functions.Collate(d, NoCase);
        return Expression.Lambda<Func<string, string>>(Rebind(noCase, domain), s);
    }

    // A missing value matches no pattern; "not" is taken on present values and adds the missing ones.
    private static Expression<Func<string?, bool>> Like(string pattern) => s => s != null && EF.Functions.Like(s, pattern, LikePattern.EscapeCharacter);

    private static Expression<Func<string?, bool>> Not(Expression<Func<string?, bool>> test)
    {
        var s = test.Parameters[0];
        return Expression.Lambda<Func<string?, bool>>(Expression.OrElse(Expression.Equal(s, Expression.Constant(null, typeof(string))), Expression.Not(test.Body)), s);
    }

    private static Expression<Func<string?, bool>> Or(Expression<Func<string?, bool>> left, Expression<Func<string?, bool>> right) =>
        Expression.Lambda<Func<string?, bool>>(Expression.OrElse(left.Body, Rebind(right, left.Parameters[0])), left.Parameters[0]);


    private static Expression<Func<decimal?, bool>> Number(Rule rule)
    {
        switch (rule.Operator, rule.Value)
        {
            case (Operators.Between, NumberRangeValue { Low: var low, High: var high }):
                return n => n != null && n >= low && n <= high;
            case (_, NumberValue { Number: var v }):
                return rule.Operator switch
                {
                    Operators.EqualTo => n => n != null && n == v,
                    Operators.NotEqualTo => n => n == null || n != v,
                    Operators.GreaterThan => n => n != null && n > v,
                    Operators.AtLeast => n => n != null && n >= v,
                    Operators.LessThan => n => n != null && n < v,
                    Operators.AtMost => n => n != null && n <= v,
                    _ => throw Unexpected(rule),
                };
            default:
                throw Unexpected(rule);
        }
    }

    /// <summary>
    /// Order counts are whole numbers, so a rule's number becomes the nearest whole bound that
    /// keeps its meaning ("more than 2.5" is "at least 3"): the column is compared as it is
    /// stored, and its index serves the query.
    /// </summary>
    private static Expression<Func<int, bool>> Count(Rule rule)
    {
        switch (rule.Operator, rule.Value)
        {
            case (Operators.Between, NumberRangeValue { Low: var low, High: var high }):
                var least = Whole(Math.Ceiling(low));
                var most = Whole(Math.Floor(high));
                return n => n >= least && n <= most;
            case (Operators.EqualTo or Operators.NotEqualTo, NumberValue { Number: var v }) when v != Math.Floor(v):
                return rule.Operator == Operators.EqualTo ? n => false : n => true;
            case (_, NumberValue { Number: var v }):
                var floor = Whole(Math.Floor(v));
                var ceiling = Whole(Math.Ceiling(v));
                return rule.Operator switch
                {
                    Operators.EqualTo => n => n == floor,
                    Operators.NotEqualTo => n => n != floor,
                    Operators.GreaterThan => n => n > floor,
                    Operators.AtLeast => n => n >= ceiling,
                    Operators.LessThan => n => n < ceiling,
                    Operators.AtMost => n => n <= floor,
                    _ => throw Unexpected(rule),
                };
            default:
                throw Unexpected(rule);
        }
    }

    private static int Whole(decimal value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);

    private static Expression<Func<DateTime?, bool>> Date(Rule rule, DateTime now)
    {
        switch (rule.Operator, rule.Value)
        {
            case (Operators.IsEmpty, _):
                return d => d == null;
            case (Operators.IsNotEmpty, _):
                return d => d != null;
            case (Operators.Before, DateValue { Date: var day }):
                var startOfDay = StartOf(day);
                return d => d != null && d < startOfDay;
            case (Operators.After, DateValue { Date: var day }):
                var endOfDay = StartOf(day.AddDays(1));
                return d => d != null && d >= endOfDay;
            case (Operators.Between, DateRangeValue { From: var from, To: var to }):
                var start = StartOf(from);
                var end = StartOf(to.AddDays(1));
                return d => d != null && d >= start && d < end;
            case (Operators.InLastDays, DaysValue { Days: var days }):
                var since = now.AddDays(-days);
                return d => d != null && d >= since;
            case (Operators.MoreThanDaysAgo, DaysValue { Days: var days }):
                var until = now.AddDays(-days);
                return d => d != null && d < until;
            default:
                throw Unexpected(rule);
        }
    }

    private static DateTime StartOf(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>Puts a field's accessor where the value test's parameter was: <c>s =&gt; s != null</c> on <c>c.City</c> reads <c>c.City != null</c>.</summary>
    private static Expression Apply<TValue>(Expression<Func<TValue, bool>> test, Expression<Func<Customer, TValue>> field, ParameterExpression customer) =>
        Rebind(test, Rebind(field, customer));

    private static Expression Rebind(LambdaExpression lambda, Expression replacement) =>
        new ParameterReplacer(lambda.Parameters[0], replacement).Visit(lambda.Body);

    private static InvalidOperationException Unexpected(Rule rule) =>
        new($"The parser let through '{rule.Operator}' on '{rule.Field.Name}' with {rule.Value.GetType().Name}.");

    private sealed class ParameterReplacer(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}
