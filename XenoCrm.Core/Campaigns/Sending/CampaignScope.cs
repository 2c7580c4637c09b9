using System.Diagnostics;

namespace XenoCrm.Core.Campaigns.Sending;

/// <summary>The log scope of a campaign's jobs, so that every line they write (JSON logs show scopes) names the campaign.</summary>
internal static class CampaignScope
{
    public static Dictionary<string, object> Of(long campaignId)
    {
        Activity.Current?.SetTag("xenocrm.campaign.id", campaignId);
        return new() { ["CampaignId"] = campaignId };
    }
}
