using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using XenoCrm.Core.Audit;
using XenoCrm.Core.Data;
using XenoCrm.IntegrationTests.Campaigns;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.Authentication;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>One row of <c>audit_log</c> as a test reads it.</summary>
public sealed record AuditRow(long Id, string Actor, string? Address, string Action, string? TargetType, string? TargetId, string? TargetLabel, string? Details, string? Outcome)
{
    public string AllText => string.Join('|', Actor, Address, Action, TargetType, TargetId, TargetLabel, Details, Outcome);
}

/// <summary>
/// The audit trail of the embedded mode, through its real pages and API: every security event, export and campaign
/// action is one row naming the person (or API key) and their address, also logged as an event; no secret reaches
/// either; the admin page filters the rows and refuses everyone else. Each test is a client address of its own
/// (127.0.0.x), so that it finds its own rows in the shared database.
/// </summary>
public sealed partial class AuditLogTests(EmbeddedWebFixture fixture) : IClassFixture<EmbeddedWebFixture>
{
    private const string Admin = "admin@example.com";

    [Fact]
    public async Task SignInAndSignOut_RecordOneRowEach_WithThePersonAndTheirAddress()
    {
        const string address = "127.0.0.21";
        using var admin = await SignedInAsync(address, Admin);

        await SignOutAsync(admin);

        var rows = await RowsFromAsync(address);
        var signIn = Assert.Single(rows, r => r.Action == AuditActions.SignIn);
        Assert.Equal((Admin, "with development sign-in"), (signIn.Actor, signIn.Details));
        var signOut = Assert.Single(rows, r => r.Action == AuditActions.SignOut);
        Assert.Equal(Admin, signOut.Actor);
        Assert.True(signOut.Id > signIn.Id);
        await WaitForLogAsync($"Audit: sign-in by {Admin} from {address}");
        await WaitForLogAsync($"Audit: sign-out by {Admin} from {address}");
    }

    [Fact]
    public async Task RefusedSignIns_RecordOneRowEach_AndAnAddressHeldBackOnce()
    {
        const string address = "127.0.0.22";
        var limit = new FailedAuthenticationOptions().Limit;
        using var attacker = fixture.ClientFrom(address, new CookieContainer());
        var token = await FormTokenAsync(attacker, "/account/signin");

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < limit + 3; i++)
        {
            using var answer = await PostFormAsync(attacker, "/account/signin", token, ("Email", "Eve@Elsewhere.test"));
            answers.Add(answer.StatusCode);
        }

        Assert.Equal(3, answers.Count(s => s == HttpStatusCode.TooManyRequests));
        var rows = await RowsFromAsync(address);
        Assert.Equal(limit, rows.Count(r => r is { Action: AuditActions.SignInDenied, Outcome: AuditOutcomes.NotAllowed, Actor: "eve@elsewhere.test" }));
        // Held back: the address is what is known, not who it claimed to be this time.
        Assert.Single(rows, r => r is { Action: AuditActions.SignInDenied, Outcome: AuditOutcomes.Throttled });
        Assert.Equal(limit + 1, rows.Count);
        Assert.DoesNotContain(rows, r => r.Action == AuditActions.SignIn);
        await WaitForLogAsync($"Audit: sign-in-denied by eve@elsewhere.test from {address}");
    }

    [Fact]
    public async Task ApiKeys_CreatedAndRevokedOnTheSettingsPage_RecordOneRowEach_WithNeitherTheKeyNorTheSession()
    {
        const string address = "127.0.0.23";
        var cookies = new CookieContainer();
        using var admin = await SignedInAsync(address, Admin, cookies);

        var token = await FormTokenAsync(admin, "/settings/apikeys");
        using (var created = await PostFormAsync(admin, "/settings/apikeys", token, ("Input.Name", "audit shop")))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }
        var listed = await admin.GetStringAsync("/settings/apikeys");
        var key = KeyShown().Match(listed).Groups["key"].Value;
        Assert.StartsWith("xcrm_", key, StringComparison.Ordinal);
        var prefix = key.Split('_')[1];
        var revokePage = await admin.GetStringAsync("/settings/apikeys");
        var keyId = RevokeLink().Matches(revokePage).Select(m => m.Groups["id"].Value).Max(id => long.Parse(id, CultureInfo.InvariantCulture));
        using (var revoked = await PostFormAsync(admin, $"/settings/apikeys/revoke/{keyId}", await FormTokenAsync(admin, $"/settings/apikeys/revoke/{keyId}")))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        }

        var rows = await RowsFromAsync(address);
        var id = keyId.ToString(CultureInfo.InvariantCulture);
        var create = Assert.Single(rows, r => r.Action == AuditActions.ApiKeyCreated);
        Assert.Equal((Admin, AuditTargets.ApiKey, id, $"audit shop (xcrm_{prefix}_…)"), (create.Actor, create.TargetType, create.TargetId, create.TargetLabel));
        var revoke = Assert.Single(rows, r => r.Action == AuditActions.ApiKeyRevoked);
        Assert.Equal((Admin, AuditTargets.ApiKey, id), (revoke.Actor, revoke.TargetType, revoke.TargetId));
        // The fixture's key, made by the operator command before the server started, is recorded too, by "cli".
        Assert.Single(await RowsAsync(), r => r is { Action: AuditActions.ApiKeyCreated, Actor: "cli", Address: null, TargetLabel: var label } && label!.StartsWith("tests (", StringComparison.Ordinal));

        await WaitForLogAsync($"Audit: api-key-revoked by {Admin} from {address}");
        var secrets = new[] { key, key[^24..], fixture.ApiKey[^24..] }
            .Concat(cookies.GetAllCookies().Select(c => c.Value).Where(v => v.Length > 20))
            .Append(token);
        var everything = string.Join('\n', (await RowsAsync()).Select(r => r.AllText));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, fixture.Web.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DeadLetters_ReplayedAndDiscardedOnTheirPages_RecordOneRowEach()
    {
        const string address = "127.0.0.24";
        // Put where the consumers keep a message they gave up on; making one for real takes a minute of retries.
        var replayId = await AddDeadLetterAsync("audit-replayed");
        var discardId = await AddDeadLetterAsync("audit-discarded");
        using var admin = await SignedInAsync(address, Admin);

        using (var replayed = await PostFormAsync(admin, $"/deadletters?handler=Replay&id={replayId}", await FormTokenAsync(admin, "/deadletters")))
        {
            Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        }
        using (var discarded = await PostFormAsync(admin, $"/deadletters/discard/{discardId}", await FormTokenAsync(admin, $"/deadletters/discard/{discardId}")))
        {
            Assert.Equal(HttpStatusCode.Redirect, discarded.StatusCode);
        }

        var rows = await RowsFromAsync(address);
        var replay = Assert.Single(rows, r => r.Action == AuditActions.DeadLetterReplayed);
        Assert.Equal((Admin, AuditTargets.DeadLetter, $"{replayId}", "ingest.customers"), (replay.Actor, replay.TargetType, replay.TargetId, replay.TargetLabel));
        var discard = Assert.Single(rows, r => r.Action == AuditActions.DeadLetterDiscarded);
        Assert.Equal((Admin, AuditTargets.DeadLetter, $"{discardId}"), (discard.Actor, discard.TargetType, discard.TargetId));
        Assert.Equal(0, await ScalarAsync($"SELECT COUNT(*) FROM dead_letters WHERE id IN ({replayId}, {discardId})"));
    }

    [Fact]
    public async Task CampaignActionsAndTheExport_FromThePagesAndTheApi_RecordOneRowEach_ByPersonOrKey()
    {
        const string address = "127.0.0.25";
        using var api = fixture.ClientFrom(address);
        api.DefaultRequestHeaders.Add(ApiKeyAuthentication.HeaderName, fixture.ApiKey);
        var keyActor = AuditActor.ApiKeyPrefix + fixture.ApiKey.Split('_')[1];
        var campaignId = await CreateCampaignAsync(api, "Audit sale");
        var sendId = await CreateCampaignAsync(api, "Audit send");
        var draftId = await CreateCampaignAsync(api, "Audit draft");

        using (var scheduled = await api.PostAsJsonAsync($"/api/v1/campaigns/{campaignId}/send", new { at = DateTimeOffset.UtcNow.AddDays(2), timeZone = "Asia/Kolkata" }))
        {
            Assert.True(scheduled.IsSuccessStatusCode, await scheduled.Content.ReadAsStringAsync());
        }
        using (var deleted = await api.DeleteAsync($"/api/v1/campaigns/{draftId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var admin = await SignedInAsync(address, Admin);
        using (var csv = await admin.GetAsync($"/campaigns/{campaignId}?handler=Export&status=failed"))
        {
            Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        }
        using (var cancelled = await PostFormAsync(admin, $"/campaigns/{campaignId}?handler=Cancel", await FormTokenAsync(admin, $"/campaigns/{campaignId}")))
        {
            Assert.Equal(HttpStatusCode.Redirect, cancelled.StatusCode);
        }
        using (var sent = await PostFormAsync(admin, $"/campaigns/{sendId}?handler=Send", await FormTokenAsync(admin, $"/campaigns/{sendId}")))
        {
            Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        }
        // A refused command changes nothing and records nothing.
        using (var again = await api.PostAsync($"/api/v1/campaigns/{campaignId}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var rows = await RowsFromAsync(address);
        var id = campaignId.ToString(CultureInfo.InvariantCulture);
        var schedule = Assert.Single(rows, r => r.Action == AuditActions.CampaignScheduled);
        Assert.Equal((keyActor, AuditTargets.Campaign, id, "Audit sale"), (schedule.Actor, schedule.TargetType, schedule.TargetId, schedule.TargetLabel));
        Assert.Contains("(Asia/Kolkata)", schedule.Details, StringComparison.Ordinal);
        var delete = Assert.Single(rows, r => r.Action == AuditActions.CampaignDeleted);
        Assert.Equal((keyActor, $"{draftId}", "Audit draft"), (delete.Actor, delete.TargetId, delete.TargetLabel));
        var export = Assert.Single(rows, r => r.Action == AuditActions.Export);
        Assert.Equal((Admin, AuditTargets.Campaign, id), (export.Actor, export.TargetType, export.TargetId));
        Assert.Equal("message log CSV, status failed", export.Details);
        var send = Assert.Single(rows, r => r.Action == AuditActions.CampaignSent);
        Assert.Equal((Admin, $"{sendId}", "Audit send"), (send.Actor, send.TargetId, send.TargetLabel));
        var cancel = Assert.Single(rows, r => r.Action == AuditActions.CampaignCancelled);
        Assert.Equal((Admin, id), (cancel.Actor, cancel.TargetId));
        Assert.DoesNotContain(fixture.ApiKey[^24..], string.Join('\n', rows.Select(r => r.AllText)), StringComparison.Ordinal);
        await WaitForLogAsync($"Audit: campaign-scheduled by {keyActor} from {address} on campaign {id} Audit sale");
    }

    [Fact]
    public async Task AuditPage_IsRefusedToAnyoneButAnAdmin()
    {
        using var member = await SignedInAsync("127.0.0.26", "ann@example.com");
        using (var refused = await member.GetAsync("/settings/audit"))
        {
            AdminPages.AssertRefusedToMember("/settings/audit", refused);
        }
        using var anonymous = fixture.ClientFrom("127.0.0.26");
        using (var anonymousAnswer = await anonymous.GetAsync("/settings/audit"))
        {
            AdminPages.AssertSentToSignIn("GET /settings/audit", anonymousAnswer);
        }
    }

    [Fact]
    public async Task AuditPage_FiltersByPersonActionAndTime_NewestFirst_AndNamesABadFilter()
    {
        const string address = "127.0.0.27";
        using (var stranger = fixture.ClientFrom(address, new CookieContainer()))
        {
            var token = await FormTokenAsync(stranger, "/account/signin");
            using var hostile = await PostFormAsync(stranger, "/account/signin", token, ("Email", "mallory<b>@elsewhere.test"));
            Assert.Equal(HttpStatusCode.Redirect, hostile.StatusCode);
            using var denied = await PostFormAsync(stranger, "/account/signin", token, ("Email", "mallory@elsewhere.test"));
            Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        }
        using var admin = await SignedInAsync(address, Admin);

        var byAction = await PageRowsAsync(admin, "/settings/audit?action=sign-in-denied");
        Assert.NotEmpty(byAction);
        Assert.All(byAction, r => Assert.Equal(AuditActions.SignInDenied, r.Action));
        Assert.Contains(byAction, r => r.Actor == "mallory@elsewhere.test" && r.Address == address);

        // What a stranger typed is shown as text, never as markup.
        var shown = await admin.GetStringAsync("/settings/audit?actor=mallory");
        Assert.Contains("mallory&lt;b&gt;", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("mallory<b>", shown, StringComparison.Ordinal);
        Assert.Equal(["mallory@elsewhere.test", "mallory<b>@elsewhere.test"], (await PageRowsAsync(admin, "/settings/audit?actor=mallory")).Select(r => r.Actor));
        var byPerson = await PageRowsAsync(admin, "/settings/audit?actor=MALLORY%40");
        Assert.Equal([(AuditActions.SignInDenied, "mallory@elsewhere.test")], byPerson.Select(r => (r.Action, r.Actor)));
        var all = await PageRowsAsync(admin, "/settings/audit");
        var ids = all.Select(r => r.Id).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(AuditActions.SignIn, all[0].Action);

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var aroundNow = $"from={Minute(DateTime.UtcNow.AddMinutes(-30))}&to={Minute(DateTime.UtcNow.AddMinutes(1))}";
        Assert.Contains(await PageRowsAsync(admin, $"/settings/audit?actor=mallory&{aroundNow}"), r => r.Actor == "mallory@elsewhere.test");
        Assert.Contains(await PageRowsAsync(admin, $"/settings/audit?actor=mallory&from={today}&to={today}"), r => r.Actor == "mallory@elsewhere.test");
        Assert.Empty(await PageRowsAsync(admin, "/settings/audit?actor=mallory&to=2020-01-01T00:00"));
        var noMatch = await admin.GetStringAsync("/settings/audit?actor=nobody-at-all");
        Assert.Contains("id=\"audit-no-match\"", noMatch, StringComparison.Ordinal);

        foreach (var (query, field, message) in new[]
        {
            ("from=yesterday", "from", "‘From’ is not a date and time"),
            ("to=2026-13-45T99:00", "to", "‘To’ is not a date and time"),
            ("from=2026-12-02&to=2026-12-01", "to", "‘To’ must be after ‘From’"),
            ("from=0001-01-01", "from", "between the years"),
            ("action=drop-tables", "action", "Choose an action from the list"),
            ("before=12x", "before", "page link is broken"),
        })
        {
            using var bad = await admin.GetAsync("/settings/audit?" + query);
            var html = await bad.Content.ReadAsStringAsync();
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"?{query} answered {(int)bad.StatusCode}");
            Assert.Matches($"<li data-field=\"{field}\">[^<]*{Regex.Escape(message)}", WebUtility.HtmlDecode(html));
        }
    }

    [Fact]
    public async Task AuditPage_PagesOlderEntriesByKeyset_WithoutOverlapOrGap()
    {
        // 60 refused sign-ins (10 per address: past that an address is held back) by people of one prefix.
        for (var a = 0; a < 6; a++)
        {
            using var stranger = fixture.ClientFrom($"127.0.1.{a + 1}", new CookieContainer());
            var token = await FormTokenAsync(stranger, "/account/signin");
            for (var i = 0; i < 10; i++)
            {
                using var denied = await PostFormAsync(stranger, "/account/signin", token, ("Email", $"pager-{a}-{i}@elsewhere.test"));
                Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
            }
        }
        using var admin = await SignedInAsync("127.0.0.28", Admin);

        var first = await admin.GetStringAsync("/settings/audit?actor=pager-");
        var firstRows = Rows(first);
        Assert.Equal(Web.Pages.Settings.Audit.IndexModel.PageSize, firstRows.Count);
        var older = OlderLink().Match(first);
        Assert.True(older.Success, "The first page of 60 entries has no link to older ones.");
        var second = await admin.GetStringAsync(WebUtility.HtmlDecode(older.Groups["href"].Value));
        var secondRows = Rows(second);
        Assert.Equal(10, secondRows.Count);
        Assert.Contains("id=\"audit-end\"", second, StringComparison.Ordinal);
        var ids = firstRows.Concat(secondRows).Select(r => r.Id).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(60, ids.Distinct().Count());
        Assert.All(firstRows.Concat(secondRows), r => Assert.StartsWith("pager-", r.Actor, StringComparison.Ordinal));
    }

    private static string Minute(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    private sealed record PageRow(long Id, string Action, string Actor, string? Address);

    private static async Task<List<PageRow>> PageRowsAsync(HttpClient admin, string path)
    {
        using var page = await admin.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)page.StatusCode}: {html}");
        return Rows(html);
    }

    private static List<PageRow> Rows(string html) =>
        [.. PageRowPattern().Matches(html).Select(m => new PageRow(
            long.Parse(m.Groups["id"].Value, CultureInfo.InvariantCulture),
            m.Groups["action"].Value,
            WebUtility.HtmlDecode(m.Groups["actor"].Value.Trim()),
            m.Groups["address"].Value.Trim() is { Length: > 0 } address && !address.Contains('<', StringComparison.Ordinal) ? address : null))];

    private async Task<HttpClient> SignedInAsync(string address, string email, CookieContainer? cookies = null)
    {
        cookies ??= new CookieContainer();
        var client = fixture.ClientFrom(address, cookies);
        var token = await FormTokenAsync(client, "/account/signin");
        using var signIn = await PostFormAsync(client, "/account/signin", token, ("Email", email));
        Assert.True(signIn.StatusCode == HttpStatusCode.Redirect && cookies.GetAllCookies().Any(c => c.Name.StartsWith(CrmBrowser.SessionCookie, StringComparison.Ordinal)),
            $"Signing in as {email} answered {(int)signIn.StatusCode} {signIn.Headers.Location}");
        return client;
    }

    private static async Task SignOutAsync(HttpClient client)
    {
        using var signOut = await PostFormAsync(client, "/account/signout", await FormTokenAsync(client, "/account/signout"));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
    }

    private static async Task<string> FormTokenAsync(HttpClient client, string path)
    {
        using var page = await client.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)page.StatusCode}: {html}");
        return CrmBrowser.AntiforgeryToken(html);
    }

    private static Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string token, params (string Name, string Value)[] fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))
            .Append(new("__RequestVerificationToken", token))));

    private static async Task<long> CreateCampaignAsync(HttpClient api, string name)
    {
        using var segment = await api.PostAsJsonAsync("/api/v1/segments", new
        {
            name = $"{name} audience {Guid.NewGuid():N}",
            rules = new { op = "and", rules = new[] { new { field = "order_count", @operator = "gte", value = 0 } } },
        });
        Assert.True(segment.StatusCode == HttpStatusCode.Created, await segment.Content.ReadAsStringAsync());
        var segmentId = (await segment.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var campaign = await api.PostAsJsonAsync("/api/v1/campaigns", new { name, segmentId, template = "Hi {{ customer.first_name }}!" });
        Assert.True(campaign.StatusCode == HttpStatusCode.Created, await campaign.Content.ReadAsStringAsync());
        return (await campaign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaign").GetProperty("id").GetInt64();
    }

    private async Task<long> AddDeadLetterAsync(string externalId)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO dead_letters (topic, body, reason, attempts, created_at) VALUES ('ingest.customers', $body, 'kept by the test', 3, $now) RETURNING id";
        command.Parameters.AddWithValue("$body", $$"""{"requestId":"{{externalId}}","customers":[{"externalId":"{{externalId}}","email":"{{externalId}}@shop.test","name":"Dead Letter"}]}""");
        command.Parameters.AddWithValue("$now", DateTime.UtcNow);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<List<AuditRow>> RowsFromAsync(string address) => [.. (await RowsAsync()).Where(r => r.Address == address)];

    private async Task<List<AuditRow>> RowsAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, actor, actor_address, action, target_type, target_id, target_label, details, outcome FROM audit_log ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            rows.Add(new AuditRow(reader.GetInt64(0), reader.GetString(1), Text(2), reader.GetString(3), Text(4), Text(5), Text(6), Text(7), Text(8)));
        }
        return rows;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={fixture.DatabasePath};Default Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The console logger writes from a queue of its own, a moment after the request that logged.</summary>
    private async Task WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!fixture.Web.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The log has no '{text}':\n{fixture.Web.Output[^Math.Min(fixture.Web.Output.Length, 6000)..]}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("""id="new-api-key-value" value="(?<key>[^"]+)" """)]
    private static partial Regex KeyShown();

    [GeneratedRegex(@"href=""/settings/apikeys/revoke/(?<id>\d+)""")]
    private static partial Regex RevokeLink();

    [GeneratedRegex("""<tr data-action="(?<action>[^"]+)" data-entry="(?<id>\d+)">.*?data-field="actor">(?<actor>[^<]*)</td>\s*<td[^>]*data-field="address">(?<address>.*?)</td>""", RegexOptions.Singleline)]
    private static partial Regex PageRowPattern();

    [GeneratedRegex("""<a [^>]*href="(?<href>[^"]+)" rel="next" id="audit-older">""")]
    private static partial Regex OlderLink();
}

/// <summary>
/// The distributed mode on MariaDB (the migration, the transactions): campaign actions through the API by an API key,
/// the operator commands as <c>cli</c>, and a person's sign-in, each one row.
/// </summary>
[Collection(SharedServersDefinition.Name)]
public sealed class AuditLogDistributedTests(SharedServers servers)
{
    [Fact]
    public async Task CampaignActionsByApiKey_AndOperatorCommands_RecordOneRowEach_OnMariaDb()
    {
        await using var stack = await DistributedDeployment.StartAsync(servers.MariaDb, servers.RabbitMq, servers.Redis, new Dictionary<string, string?>
        {
            ["Messaging__RetryDelay"] = "00:00:00.200",
            ["Messaging__MaxAttempts"] = "1",
        });
        var keyActor = AuditActor.ApiKeyPrefix + stack.ApiKey.Split('_')[1];
        await CampaignDeployment.SeedCustomersAsync(stack, 300);
        var sentId = await CampaignDeployment.CreateCampaignAsync(stack);
        await CampaignDeployment.SendNowAsync(stack, sentId);
        await CampaignDeployment.WaitForCompletedAsync(stack, sentId);
        using (var retried = await stack.Api.PostAsync($"/api/v1/campaigns/{sentId}/retry-failed", null))
        {
            Assert.True(retried.StatusCode == HttpStatusCode.OK, await retried.Content.ReadAsStringAsync());
        }
        var scheduledId = await CampaignDeployment.CreateCampaignAsync(stack);
        using (var scheduled = await stack.Api.PostAsJsonAsync($"/api/v1/campaigns/{scheduledId}/send", new { at = DateTimeOffset.UtcNow.AddDays(1) }))
        {
            Assert.True(scheduled.StatusCode == HttpStatusCode.OK, await scheduled.Content.ReadAsStringAsync());
        }
        using (var cancelled = await stack.Api.PostAsync($"/api/v1/campaigns/{scheduledId}/cancel", null))
        {
            Assert.True(cancelled.StatusCode == HttpStatusCode.OK, await cancelled.Content.ReadAsStringAsync());
        }
        var draftId = await CampaignDeployment.CreateCampaignAsync(stack);
        using (var deleted = await stack.Api.DeleteAsync($"/api/v1/campaigns/{draftId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        // An order whose customer never arrives is dead-lettered at once (one attempt), then replayed from the command line.
        using (var orphan = await stack.PostJsonAsync("/api/v1/orders", new { externalId = "audit-orphan", customerExternalId = "nobody", amount = 10 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, orphan.StatusCode);
        }
        await stack.WaitForCountAsync("SELECT COUNT(*) FROM dead_letters", 1, TimeSpan.FromMinutes(1));
        var letterId = await stack.ScalarAsync("SELECT id FROM dead_letters");
        var (replayExit, _, replayError) = await stack.RunCommandAsync("dead-letters", "replay", $"{letterId}");
        Assert.True(replayExit == 0, replayError);
        var (revokeExit, _, revokeError) = await stack.RunCommandAsync("api-keys", "revoke", "1");
        Assert.True(revokeExit == 0, revokeError);

        var rows = await RowsAsync(stack);
        Assert.Single(rows, r => r is { Action: AuditActions.CampaignSent, Address: "127.0.0.1" } && r.Actor == keyActor && r.TargetId == $"{sentId}");
        var retry = Assert.Single(rows, r => r.Action == AuditActions.CampaignRetried);
        Assert.Equal((keyActor, "127.0.0.1", $"{sentId}"), (retry.Actor, retry.Address, retry.TargetId));
        Assert.StartsWith("attempt 2, ", retry.Details, StringComparison.Ordinal);
        Assert.Single(rows, r => r.Action == AuditActions.CampaignScheduled && r.Actor == keyActor && r.TargetId == $"{scheduledId}");
        Assert.Single(rows, r => r.Action == AuditActions.CampaignCancelled && r.Actor == keyActor && r.TargetId == $"{scheduledId}");
        Assert.Single(rows, r => r.Action == AuditActions.CampaignDeleted && r.Actor == keyActor && r.TargetId == $"{draftId}");
        Assert.Single(rows, r => r is { Action: AuditActions.DeadLetterReplayed, Actor: "cli", Address: null } && r.TargetId == $"{letterId}");
        Assert.Single(rows, r => r is { Action: AuditActions.ApiKeyCreated, Actor: "cli", TargetId: "1" });
        Assert.Single(rows, r => r is { Action: AuditActions.ApiKeyRevoked, Actor: "cli", TargetId: "1" });
        Assert.Equal(8, rows.Count);
        Assert.DoesNotContain(stack.ApiKey[^24..], string.Join('\n', rows.Select(r => r.AllText)), StringComparison.Ordinal);
    }

    private static async Task<List<AuditRow>> RowsAsync(DistributedDeployment stack)
    {
        await using var connection = new MySqlConnection(stack.CrmConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT id, actor, actor_address, action, target_type, target_id, target_label, details, outcome FROM audit_log ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            rows.Add(new AuditRow(reader.GetInt64(0), reader.GetString(1), Text(2), reader.GetString(3), Text(4), Text(5), Text(6), Text(7), Text(8)));
        }
        return rows;
    }
}

/// <summary>Google sign-ins, admitted and refused, each one row (on MariaDB), whoever the browser claims to be.</summary>
[Collection(SharedServersDefinition.Name)]
public sealed class GoogleSignInAuditTests(GoogleSignInFixture fixture) : IClassFixture<GoogleSignInFixture>
{
    [Fact]
    public async Task GoogleSignIns_AdmittedAndRefused_RecordOneRowEach()
    {
        using (var admitted = fixture.Web.NewBrowser())
        using (await fixture.SignInWithGoogleAsync(admitted, new GoogleAccount("asha.audit@shop.test", EmailVerified: true, HostedDomain: "shop.test")))
        {
            Assert.True(admitted.HasSession);
        }
        using (var stranger = fixture.Web.NewBrowser())
        using (await fixture.SignInWithGoogleAsync(stranger, new GoogleAccount("eve.audit@elsewhere.test", EmailVerified: true, HostedDomain: "elsewhere.test")))
        {
            Assert.False(stranger.HasSession);
        }
        using (var unverified = fixture.Web.NewBrowser())
        using (await fixture.SignInWithGoogleAsync(unverified, new GoogleAccount("ravi.audit@shop.test", EmailVerified: false, HostedDomain: "shop.test")))
        {
            Assert.False(unverified.HasSession);
        }

        await using var scope = fixture.Web.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<CrmDbContext>().AuditLog.AsNoTracking()
            .Where(e => e.Actor.EndsWith(".audit@shop.test") || e.Actor.EndsWith(".audit@elsewhere.test")).ToListAsync();
        var signIn = Assert.Single(rows, r => r.Actor == "asha.audit@shop.test");
        Assert.Equal((AuditActions.SignIn, "with google", null), (signIn.Action, signIn.Details, signIn.Outcome));
        var notAllowed = Assert.Single(rows, r => r.Actor == "eve.audit@elsewhere.test");
        Assert.Equal((AuditActions.SignInDenied, AuditOutcomes.NotAllowed), (notAllowed.Action, notAllowed.Outcome));
        var notVerified = Assert.Single(rows, r => r.Actor == "ravi.audit@shop.test");
        Assert.Equal((AuditActions.SignInDenied, AuditOutcomes.Unverified), (notVerified.Action, notVerified.Outcome));
    }
}
