using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Segments;
using XenoCrm.Core.Sessions;
using XenoCrm.IntegrationTests.Infrastructure;
using XenoCrm.Web.Authentication;

namespace XenoCrm.IntegrationTests.Security;

/// <summary>
/// XenoCrm.Web (distributed mode, development sign-in) with the three roles configured: <see cref="InProcessWeb.AdminEmail"/>
/// on the admin list, <see cref="ViewerEmail"/> on the viewer list, and <see cref="MarketerEmail"/> on none, so that the
/// default role (marketer) is what it gets. One segment and one draft campaign exist.
/// </summary>
public sealed class RolesFixture(SharedServers servers) : IAsyncLifetime
{
    public const string ViewerEmail = "viewer@shop.test";
    public const string MarketerEmail = "marketer@shop.test";

    public InProcessWeb Web { get; private set; } = null!;

    public long SegmentId { get; private set; }

    public long CampaignId { get; private set; }

    public async Task InitializeAsync()
    {
        Web = await InProcessWeb.StartAsync(servers, new Dictionary<string, string>
        {
            ["Auth:DevelopmentSignIn"] = "true",
            ["Auth:ViewerEmails:0"] = ViewerEmail,
        });
        await using var scope = Web.Services.CreateAsyncScope();
        var rules = System.Text.Json.JsonDocument.Parse("""{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}""").RootElement;
        var segment = await scope.ServiceProvider.GetRequiredService<SegmentCommands>()
            .CreateAsync(new SegmentCommands.SegmentDraft("Pune", rules), InProcessWeb.AdminEmail, default);
        SegmentId = segment.Segment?.Id ?? throw new InvalidOperationException($"The fixture's segment was refused: {segment.Outcome} {segment.Errors}");
        var campaign = await scope.ServiceProvider.GetRequiredService<CampaignCommands>()
            .CreateAsync(new CampaignCommands.CampaignDraft("Hello Pune", SegmentId, "Hello from the shop"), InProcessWeb.AdminEmail, default);
        CampaignId = campaign.Campaign?.Id
            ?? throw new InvalidOperationException($"The fixture's campaign was refused: {campaign.Outcome} {string.Join("; ", (campaign.Errors ?? []).Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))} {campaign.Reason}");
    }

    /// <summary>A new browser with a session for <paramref name="email"/>.</summary>
    public async Task<CrmBrowser> SignedInBrowserAsync(string email)
    {
        var browser = Web.NewBrowser();
        try
        {
            await browser.SignInAsync(email);
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    /// <summary>The active sessions of <paramref name="email"/>, as the sessions page lists them.</summary>
    public async Task<IReadOnlyList<SessionStore.ActiveSession>> SessionsOfAsync(string email)
    {
        await using var scope = Web.Services.CreateAsyncScope();
        var limits = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.SessionLimits;
        return await scope.ServiceProvider.GetRequiredService<SessionStore>().ListActiveAsync(email, limits, default);
    }

    /// <summary>The audit log's rows of <paramref name="action"/>, oldest first.</summary>
    public async Task<IReadOnlyList<XenoCrm.Core.Audit.AuditLogEntry>> AuditRowsAsync(string action)
    {
        await using var scope = Web.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<XenoCrm.Core.Data.CrmDbContext>();
        return await db.AuditLog.AsNoTracking().Where(r => r.Action == action).OrderBy(r => r.Id).ToListAsync();
    }

    public async Task<CampaignStatus> CampaignStatusAsync()
    {
        await using var scope = Web.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<XenoCrm.Core.Data.CrmDbContext>();
        return (await db.Campaigns.FindAsync(CampaignId))!.Status;
    }

    public async Task DisposeAsync()
    {
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }
    }
}
