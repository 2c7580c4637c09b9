using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Customers;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.IntegrationTests.Infrastructure;

namespace XenoCrm.IntegrationTests.Segments;

/// <summary>
/// Thousands of random rule trees, run by the SQL compiler on MariaDB and on SQLite (as plain AND and OR, and
/// as the counts it writes for trees past <see cref="SegmentCompiler.PlainRulesOnSqlite"/> rules) and by the
/// reference evaluator in memory, over the same random customers, must select the same ids.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class SegmentCompilerDifferentialTests(SharedServers servers)
{
    private static readonly DateTime Now = new(2026, 6, 15, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Words = ["Pune", "pune", "PUNE", "Delhi", "New Delhi", "O'Brien", "ana_maria", "100% Pure", "a\\b", "Zoë", "x"];
    private static readonly string[] Domains = ["shop.test", "Mail.example.com", "example.com", "o_k.in"];
    private static readonly decimal[] Amounts = [0m, 0.01m, 9.99m, 10m, 10.01m, 1500m, 33.33m, 100m, 12345.67m];
    private static readonly int[] DayOffsets = [0, 1, 29, 30, 31, 89, 90, 91, 365, 800];

    [Fact]
    public async Task Compile_SelectsTheSameCustomersAsTheReference_OnMariaDbAndSqlite()
    {
        var random = new Random(20261126);
        var customers = Enumerable.Range(1, 400).Select(i => RandomCustomer(i, random)).ToList();

        var mysqlOptions = new DbContextOptionsBuilder<MySqlCrmDbContext>()
            .UseMySql(await servers.MariaDb.CreateDatabaseAsync(), new MySqlServerVersion(new Version(8, 0, 36))).Options;
        var sqliteFile = Path.Combine(Path.GetTempPath(), $"xenocrm-segments-{Guid.NewGuid():N}.db");
        var sqliteOptions = new DbContextOptionsBuilder<SqliteCrmDbContext>().UseSqlite($"Data Source={sqliteFile};Pooling=false").Options;
        try
        {
            await using var mysql = new MySqlCrmDbContext(mysqlOptions);
            await using var sqlite = new SqliteCrmDbContext(sqliteOptions);
            foreach (var db in new CrmDbContext[] { mysql, sqlite })
            {
                await db.Database.MigrateAsync();
                db.Customers.AddRange(customers.Select(Copy));
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }

            var mismatches = new List<string>();
            for (var i = 0; i < 1500 && mismatches.Count < 5; i++)
            {
                var json = RandomGroup(random, depth: 1);
                var (tree, errors) = SegmentRulesParser.Parse(JsonDocument.Parse(json.ToJsonString()).RootElement);
                Assert.True(tree is not null, $"The generator made an invalid tree: {string.Join("; ", errors)}\n{json}");
                var expected = customers.Where(c => ReferenceEvaluator.Matches(tree, c, Now)).Select(c => c.Id).Order().ToList();
                var onMariaDb = await mysql.Customers.Where(SegmentCompiler.Compile(tree, Now, mysql.Provider)).Select(c => c.Id).OrderBy(id => id).ToListAsync();
                var onSqlite = await sqlite.Customers.Where(SegmentCompiler.Compile(tree, Now, sqlite.Provider)).Select(c => c.Id).OrderBy(id => id).ToListAsync();
                var counted = PastThePlainLimit(tree);
                var onSqliteCounted = await sqlite.Customers.Where(SegmentCompiler.Compile(counted, Now, sqlite.Provider)).Select(c => c.Id).OrderBy(id => id).ToListAsync();
                if (!expected.SequenceEqual(onMariaDb) || !expected.SequenceEqual(onSqlite) || !expected.SequenceEqual(onSqliteCounted))
                {
                    mismatches.Add($"{json.ToJsonString()}\n  reference {Describe(expected)}\n  MariaDB   {Describe(onMariaDb)}\n  SQLite    {Describe(onSqlite)}" +
                        $"\n  SQLite, written as counts {Describe(onSqliteCounted)}");
                }
            }
            Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
        }
        finally
        {
            File.Delete(sqliteFile);
        }
    }

    /// <summary>
    /// The same selection in a tree too big for SQLite to get as plain AND and OR, which it gets as counts of the parts
    /// that hold: the tree ANDed with a group of rules true for everyone (every customer has an email).
    /// </summary>
    private static RuleGroup PastThePlainLimit(RuleGroup tree)
    {
        var everyone = new Rule(SegmentFields.Find("email")!, Operators.IsNotEmpty, NoValue.Instance);
        return new RuleGroup(IsOr: false, Not: false, [tree, new RuleGroup(IsOr: true, Not: false, Enumerable.Repeat<RuleNode>(everyone, SegmentCompiler.PlainRulesOnSqlite).ToList())]);
    }

    private static string Describe(List<long> ids) => $"{ids.Count} ids: {string.Join(",", ids.Take(30))}";

    private static Customer Copy(Customer c) => new()
    {
        Id = c.Id, ExternalId = c.ExternalId, Email = c.Email, Name = c.Name, City = c.City, Country = c.Country,
        SignedUpAt = c.SignedUpAt, CreatedAt = c.CreatedAt, UpdatedAt = c.UpdatedAt, TotalSpend = c.TotalSpend,
        OrderCount = c.OrderCount, AvgOrderValue = c.AvgOrderValue, FirstOrderAt = c.FirstOrderAt, LastOrderAt = c.LastOrderAt,
    };

    private static Customer RandomCustomer(int id, Random random)
    {
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        string? MaybeText() => random.Next(6) switch { 0 => null, 1 => "", _ => Pick(Words) };
        DateTime? MaybeDate() => random.Next(5) == 0 ? null : RandomMoment(random);
        var orders = random.Next(4) == 0 ? 0 : random.Next(1, 12);
        var total = orders == 0 ? 0m : Pick(Amounts) * orders + Pick(Amounts);
        return new Customer
        {
            Id = id,
            Email = $"{Pick(Words).Replace(' ', '.').Replace('\\', '.').Replace('%', 'p')}{id}@{Pick(Domains)}".ToLowerInvariant(),
            Name = Pick(Words) + (random.Next(2) == 0 ? "" : " " + Pick(Words)),
            City = MaybeText(),
            Country = MaybeText(),
            SignedUpAt = MaybeDate(),
            CreatedAt = Now,
            UpdatedAt = Now,
            TotalSpend = total,
            OrderCount = orders,
            AvgOrderValue = orders == 0 ? null : Math.Round(total / orders, 2, MidpointRounding.AwayFromZero),
            FirstOrderAt = orders == 0 ? null : RandomMoment(random),
            LastOrderAt = orders == 0 ? null : RandomMoment(random),
        };
    }

    // Whole days back from now, at midnight, or at a random time of day: the edges the date operators turn on.
    private static DateTime RandomMoment(Random random)
    {
        var day = Now.AddDays(-DayOffsets[random.Next(DayOffsets.Length)]);
        return random.Next(3) switch
        {
            0 => day,
            1 => day.Date,
            _ => day.Date.AddSeconds(random.Next(86_400)),
        };
    }

    private static JsonObject RandomGroup(Random random, int depth)
    {
        var rules = new JsonArray();
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            rules.Add(depth < 4 && random.Next(4) == 0 ? RandomGroup(random, depth + 1) : RandomRule(random));
        }
        var group = new JsonObject { ["op"] = random.Next(2) == 0 ? "and" : "or", ["rules"] = rules };
        if (random.Next(3) == 0)
        {
            group["not"] = true;
        }
        return group;
    }

    private static JsonObject RandomRule(Random random)
    {
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
        var field = Pick(SegmentFields.All);
        var op = Pick(SegmentFields.OperatorsFor(field.Type));
        var rule = new JsonObject { ["field"] = field.Name, ["operator"] = op };
        JsonNode? value = (field.Type, op) switch
        {
            (_, Operators.IsEmpty or Operators.IsNotEmpty) => null,
            (FieldType.Text, Operators.In) => new JsonArray(Enumerable.Range(0, random.Next(1, 4)).Select(_ => (JsonNode)TextValue(field, random)).ToArray()),
            (FieldType.Text, _) => TextValue(field, random),
            (FieldType.Number, Operators.Between) => RandomRange(random),
            (FieldType.Number, _) => JsonValue.Create(RandomNumber(random)),
            (_, Operators.InLastDays or Operators.MoreThanDaysAgo) => JsonValue.Create(Math.Max(1, Pick(DayOffsets))),
            (_, Operators.Between) => DayRange(random),
            _ => JsonValue.Create(Day(random)),
        };
        if (value is not null)
        {
            rule["value"] = value;
        }
        return rule;
    }

    private static JsonValue TextValue(SegmentField field, Random random)
    {
        if (field.Name == "email_domain")
        {
            var domain = Domains[random.Next(Domains.Length)];
            return JsonValue.Create(random.Next(3) == 0 ? domain[..Math.Max(1, domain.Length / 2)] : domain.ToUpperInvariant());
        }
        var word = Words[random.Next(Words.Length)];
        return JsonValue.Create(random.Next(3) == 0 ? word[..Math.Max(1, word.Length / 2)] : word);
    }

    private static decimal RandomNumber(Random random) => random.Next(4) switch
    {
        0 => 0m,
        1 => random.Next(0, 12),
        2 => Amounts[random.Next(Amounts.Length)] * random.Next(1, 4),
        _ => random.Next(0, 12) + 0.5m,
    };

    private static JsonArray RandomRange(Random random)
    {
        var a = RandomNumber(random);
        var b = RandomNumber(random);
        return [Math.Min(a, b), Math.Max(a, b)];
    }

    private static string Day(Random random) =>
        DateOnly.FromDateTime(Now.AddDays(-DayOffsets[random.Next(DayOffsets.Length)])).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static JsonArray DayRange(Random random)
    {
        var a = Day(random);
        var b = Day(random);
        return string.CompareOrdinal(a, b) <= 0 ? [a, b] : [b, a];
    }
}
