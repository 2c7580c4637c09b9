using System.Globalization;
using System.Linq.Expressions;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Tests.Segments;

/// <summary>
/// The SQL the compiler's trees become on SQLite, read from EF and run on a real (in-memory) SQLite whose limit on
/// an expression's depth is lowered to <see cref="DepthBudget"/>: what runs there runs with a wide margin under the
/// default 1,000 that every SQLite has.
/// </summary>
public sealed partial class SegmentCompilerSqlTests : IAsyncLifetime
{
    private const int DepthBudget = 600;
    private static readonly string[] SignUpYears = ["2020-01-01", "2026-12-31"];
    private static readonly DateTime Now = new(2026, 6, 15, 12, 0, 0, DateTimeKind.Utc);
    private SqliteConnection _connection = null!;
    private SqliteCrmDbContext _db = null!;

    public async Task InitializeAsync()
    {
        _connection = new SqliteConnection("Data Source=:memory:");
        await _connection.OpenAsync();
        _db = new SqliteCrmDbContext(new DbContextOptionsBuilder<SqliteCrmDbContext>().UseSqlite(_connection).Options);
        await _db.Database.MigrateAsync();
        _db.Customers.AddRange(Enumerable.Range(1, 20).Select(i => new Customer
        {
            Id = i,
            Email = $"p{i}@{(i % 2 == 0 ? "Shop.Test" : "other.test")}",
            Name = $"Person {i}",
            City = i % 3 == 0 ? "PUNE" : "Delhi",
            SignedUpAt = i % 2 == 0 ? Now.AddDays(-i) : null,
            CreatedAt = Now,
            UpdatedAt = Now,
        }));
        await _db.SaveChangesAsync();
        SQLitePCL.raw.sqlite3_limit(_connection.Handle!, SQLitePCL.raw.SQLITE_LIMIT_EXPR_DEPTH, DepthBudget);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private static RuleGroup Tree(string json)
    {
        using var document = JsonDocument.Parse(json);
        var (tree, errors) = SegmentRulesParser.Parse(document.RootElement, SegmentLimits.Stored);
        Assert.True(tree is not null, string.Join("; ", errors));
        return tree;
    }

    private IQueryable<Customer> Audience(RuleGroup tree) => _db.Customers.Where(SegmentCompiler.Compile(tree, Now, CrmDatabaseProvider.Sqlite));

    private static string Rule(string field, string op, object value) =>
        $$"""{"field":"{{field}}","operator":"{{op}}","value":{{JsonSerializer.Serialize(value)}}}""";

    private static string Group(string op, IEnumerable<string> rules, bool not = false) =>
        $$"""{"op":"{{op}}","not":{{(not ? "true" : "false")}},"rules":[{{string.Join(",", rules)}}]}""";

    private static string[] Values(string prefix, string first) =>
        [first, .. Enumerable.Range(1, 99).Select(i => prefix + i.ToString("000", CultureInfo.InvariantCulture))];

    private static int Occurrences(string text, string part) => text.Split(part).Length - 1;

    /// <summary>The statement without the parameter values that ToQueryString prints above it.</summary>
    private static string Statement(string queryString) => queryString[queryString.IndexOf("SELECT", StringComparison.Ordinal)..];

    [Fact]
    public async Task Compile_WritesEachListAsOneInOfParametersUnderNoCase_OnSqlite()
    {
        var cities = Values("Town", "pune");
        var domains = Values("domain", "SHOP.TEST");
        var tree = Tree(Group("and", [Rule("city", "in", cities), Rule("email_domain", "in", domains)]));

        var sql = Statement(Audience(tree).ToQueryString());

        Assert.Equal(2, Occurrences(sql, " IN ("));
        Assert.Equal(2, Occurrences(sql, " COLLATE NOCASE IN ("));
        Assert.DoesNotContain("LIKE", sql, StringComparison.Ordinal);
        Assert.DoesNotContain(" OR ", sql, StringComparison.Ordinal);
        Assert.All(cities.Concat(domains), value => Assert.DoesNotContain(value, sql, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(200, Parameter().Matches(sql).Select(m => m.Value).Distinct().Count());
        // ASCII case folded as LIKE folds it: PUNE matches pune, Shop.Test matches SHOP.TEST.
        Assert.Equal([6L, 12L, 18L], await Audience(tree).Select(c => c.Id).OrderBy(id => id).ToListAsync());
    }

    /// <summary>Who the widest trees select, as the customers made in <see cref="InitializeAsync"/> are.</summary>
    public enum Selected { SignedUp, NotSignedUp, Everyone, DelhiAtShopTest }

    private static readonly Dictionary<string, (string Json, Selected Selected)> WidestTrees = MakeWidestTrees();

    public static TheoryData<string> WidestTreeShapes() => new(WidestTrees.Keys);

    private static Dictionary<string, (string Json, Selected Selected)> MakeWidestTrees()
    {
        // True for the customers who signed up (the even ids), false for the others: three connectives in SQL.
        var between = Rule("signed_up_at", "between", SignUpYears);
        // True for everyone: two connectives, ORed.
        string NotEqual(int i) => Rule("city", "not_equals", $"Nowhere {i}");
        var max = SegmentLimits.StoredMaxRules;
        var plain = SegmentCompiler.PlainRulesOnSqlite;
        // Ten groups deep, each with as many rules of its own and, but for the last, the next group.
        string Nested(string op, int perLevel, bool notOnOddLevels, int level = 1) => Group(op,
            [.. Enumerable.Repeat(between, perLevel), .. level == SegmentLimits.StoredMaxDepth ? [] : new[] { Nested(op, perLevel, notOnOddLevels, level + 1) }],
            not: notOnOddLevels && level % 2 == 1);
        string Lists(int rules) => Group("and", Enumerable.Range(0, rules).Select(i =>
            Rule(i % 2 == 0 ? "city" : "email_domain", "in", Values($"v{i}-", i % 2 == 0 ? "Delhi" : "shop.test"))));
        return new()
        {
            ["500 ANDed betweens"] = (Group("and", Enumerable.Repeat(between, max)), Selected.SignedUp),
            ["500 ORed not_equals"] = (Group("or", Enumerable.Range(0, max).Select(NotEqual)), Selected.Everyone),
            ["500 rules ANDed 10 deep"] = (Nested("and", max / 10, notOnOddLevels: false), Selected.SignedUp),
            ["500 rules ORed 10 deep, every other group negated"] = (Nested("or", max / 10, notOnOddLevels: true), Selected.NotSignedUp),
            // Not 500 lists of 100: 50,000 values are past SQLite's 32,766 parameters (a known limit, see the report).
            ["50 lists of 100"] = (Lists(SegmentLimits.Default.MaxRules), Selected.DelhiAtShopTest),
            ["10 lists of 100"] = (Lists(10), Selected.DelhiAtShopTest),
            ["the most ANDed betweens written plain"] = (Group("and", Enumerable.Repeat(between, plain)), Selected.SignedUp),
            ["the most ORed not_equals written plain"] = (Group("or", Enumerable.Range(0, plain).Select(NotEqual)), Selected.Everyone),
            ["the most rules written plain, ANDed 10 deep"] = (Nested("and", plain / 10, notOnOddLevels: false), Selected.SignedUp),
            ["the most rules written plain, ORed 10 deep, every other group negated"] = (Nested("or", plain / 10, notOnOddLevels: true), Selected.NotSignedUp),
        };
    }

    [Theory]
    [MemberData(nameof(WidestTreeShapes))]
    public async Task Compile_RunsWithinADepthFarBelowSqlitesLimit_ForTheWidestTreesTheLimitsAccept(string shape)
    {
        var (json, selected) = WidestTrees[shape];
        var tree = Tree(json);

        var ids = await Audience(tree).Select(c => c.Id).OrderBy(id => id).ToListAsync();

        var expected = Enumerable.Range(1, 20).Select(i => (long)i).Where(i => selected switch
        {
            Selected.SignedUp => i % 2 == 0,
            Selected.NotSignedUp => i % 2 == 1,
            Selected.Everyone => true,
            _ => i % 2 == 0 && i % 3 != 0,
        });
        Assert.True(expected.SequenceEqual(ids), $"{shape}: {string.Join(",", ids)}");
    }

    [Fact]
    public async Task TheLoweredLimit_RefusesAChainLongerThanTheBudget()
    {
        var c = Expression.Parameter(typeof(Customer), "c");
        var orderCount = Expression.Property(c, nameof(Customer.OrderCount));
        var chain = Enumerable.Range(0, DepthBudget + 50)
            .Select(i => (Expression)Expression.GreaterThan(orderCount, Expression.Constant(-i - 1)))
            .Aggregate(Expression.AndAlso);
        var query = _db.Customers.Where(Expression.Lambda<Func<Customer, bool>>(chain, c));

        var error = await Assert.ThrowsAsync<SqliteException>(() => query.CountAsync());

        Assert.Contains("Expression tree is too large", error.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"@\w+")]
    private static partial Regex Parameter();
}
