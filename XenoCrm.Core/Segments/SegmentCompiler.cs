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
/// provider: patterns are LIKE with escaped wildcards; equality is <c>=</c> (a list, <c>IN</c>) on MySQL, whose
/// case-insensitive collation lets it use the column's index, and LIKE on SQLite, whose
/// <c>=</c> would compare case. Dates are UTC days.
/// </para>
/// <para>Each group's parts are written in <see cref="EvaluationOrder"/>, cheapest to settle first.</para>
/// </summary>
public static class SegmentCompiler
{
    public static Expression<Func<Customer, bool>> Compile(RuleGroup tree, DateTime nowUtc, CrmDatabaseProvider provider)
    {
        var customer = Expression.Parameter(typeof(Customer), "c");
        var context = new CompileContext(customer, nowUtc, provider);
        return Expression.Lambda<Func<Customer, bool>>(Node(tree, context), customer);
    }

    private sealed record CompileContext(ParameterExpression Customer, DateTime Now, CrmDatabaseProvider Provider);

    private static Expression Node(RuleNode node, CompileContext context) => node switch
    {
        RuleGroup group => Group(group, context),
        Rule rule => Rule(rule, context),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static Expression Group(RuleGroup group, CompileContext context)
    {
        var parts = EvaluationOrder.Arrange(group).Select(r => Node(r, context)).ToList();
        var combined = parts.Count == 0
            ? Expression.Constant(true)
            : parts.Aggregate((left, right) => group.IsOr ? Expression.OrElse(left, right) : Expression.AndAlso(left, right));
        return group.Not ? Expression.Not(combined) : combined;
    }

    private static Expression Rule(Rule rule, CompileContext context) => rule.Field.Type switch
    {
        FieldType.Text when rule.Field.Name == "email_domain" => Apply(EmailDomain(rule), c => c.Email, context.Customer),
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
            case (Operators.In, TextListValue list) when provider == CrmDatabaseProvider.MySql:
                return OneOf(list.Texts);
            case (Operators.In, TextListValue list):
                return list.Texts.Select(Equal).Aggregate((left, right) => Or(left, right));
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

    /// <summary>
    /// <c>s IN (@p0, @p1, …)</c>: an array built of captured values, each of which EF sends as a parameter. One
    /// IN costs MySQL a lookup in a sorted list per row where ORed equalities cost a comparison apiece.
    /// </summary>
    private static Expression<Func<string?, bool>> OneOf(IEnumerable<string> texts)
    {
        var s = Expression.Parameter(typeof(string), "s");
        var values = Expression.NewArrayInit(typeof(string), texts.Select(Captured));
        var contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], values, s);
        return Expression.Lambda<Func<string?, bool>>(
            Expression.AndAlso(Expression.NotEqual(s, Expression.Constant(null, typeof(string))), contains), s);
    }

    private static Expression Captured(string text)
    {
        Expression<Func<string>> value = () => text;
        return value.Body;
    }

    /// <summary>The part of the email after its one @, tested as a pattern on the whole email.</summary>
    private static Expression<Func<string?, bool>> EmailDomain(Rule rule)
    {
        switch (rule.Operator, rule.Value)
        {
            case (Operators.IsEmpty, _):
                return s => false;
            case (Operators.IsNotEmpty, _):
                return s => true;
            case (Operators.In, TextListValue list):
                return list.Texts.Select(t => Like("%@" + LikePattern.Escape(t)))
                    .Aggregate((left, right) => Or(left, right));
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
