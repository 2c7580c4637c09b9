using XenoCrm.Core.Campaigns;

namespace XenoCrm.Core.Tests.Campaigns;

public sealed class CampaignLifecycleTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);

    // Written out here, apart from the lifecycle's own table, as the product promises it: (status, command) → status after.
    // A pair that is not listed is refused.
    private static readonly Dictionary<(CampaignStatus, CampaignCommand), CampaignStatus> Allowed = new()
    {
        [(CampaignStatus.Draft, CampaignCommand.Edit)] = CampaignStatus.Draft,
        [(CampaignStatus.Draft, CampaignCommand.Schedule)] = CampaignStatus.Scheduled,
        [(CampaignStatus.Draft, CampaignCommand.SendNow)] = CampaignStatus.Sending,
        [(CampaignStatus.Draft, CampaignCommand.Delete)] = CampaignStatus.Draft,
        [(CampaignStatus.Scheduled, CampaignCommand.Edit)] = CampaignStatus.Scheduled,
        [(CampaignStatus.Scheduled, CampaignCommand.Schedule)] = CampaignStatus.Scheduled,
        [(CampaignStatus.Scheduled, CampaignCommand.SendNow)] = CampaignStatus.Sending,
        [(CampaignStatus.Scheduled, CampaignCommand.Start)] = CampaignStatus.Sending,
        [(CampaignStatus.Scheduled, CampaignCommand.Cancel)] = CampaignStatus.Cancelled,
        [(CampaignStatus.Sending, CampaignCommand.Start)] = CampaignStatus.Sending,
        [(CampaignStatus.Sending, CampaignCommand.Cancel)] = CampaignStatus.Cancelled,
        [(CampaignStatus.Sending, CampaignCommand.Complete)] = CampaignStatus.Completed,
        [(CampaignStatus.Completed, CampaignCommand.RetryFailed)] = CampaignStatus.Sending,
    };

    public static TheoryData<CampaignStatus, CampaignCommand> EveryPair()
    {
        var pairs = new TheoryData<CampaignStatus, CampaignCommand>();
        foreach (var status in Enum.GetValues<CampaignStatus>())
        {
            foreach (var command in Enum.GetValues<CampaignCommand>())
            {
                pairs.Add(status, command);
            }
        }
        return pairs;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void EveryStatusAndCommand_IsAllowedOrRefusedAsPromised(CampaignStatus status, CampaignCommand command)
    {
        var allowed = Allowed.TryGetValue((status, command), out var expected);

        Assert.Equal(allowed, CampaignLifecycle.Allows(status, command));
        if (allowed)
        {
            Assert.Equal(expected, CampaignLifecycle.After(status, command));
        }
        else
        {
            var refused = Assert.Throws<CampaignTransitionException>(() => CampaignLifecycle.After(status, command));
            Assert.Equal(status, refused.Status);
            Assert.Equal(command, refused.Command);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void ATrackedCampaign_MovesOnlyAsPromised_AndARefusalLeavesItsStatus(CampaignStatus status, CampaignCommand command)
    {
        var campaign = CampaignIn(status);

        if (Allowed.TryGetValue((status, command), out var expected))
        {
            campaign.Apply(command);
            Assert.Equal(expected, campaign.Status);
        }
        else
        {
            Assert.Throws<CampaignTransitionException>(() => campaign.Apply(command));
            Assert.Equal(status, campaign.Status);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void TheSetBasedGuard_SelectsExactlyTheCampaignsWhoseStatusAllowsTheCommand(CampaignStatus status, CampaignCommand command)
    {
        var guard = CampaignLifecycle.Allowing(command).Compile();

        Assert.Equal(Allowed.ContainsKey((status, command)), guard(CampaignIn(status)));
    }

    [Fact]
    public void TheSetBasedTarget_IsTheStatusEveryAllowedPairLeads_AndEditAndDeleteHaveNone()
    {
        foreach (var command in Enum.GetValues<CampaignCommand>())
        {
            if (command is CampaignCommand.Edit or CampaignCommand.Delete)
            {
                Assert.Throws<ArgumentException>(() => CampaignLifecycle.Target(command));
                continue;
            }
            var targets = Allowed.Where(p => p.Key.Item2 == command).Select(p => p.Value).Distinct().ToList();
            Assert.Equal([CampaignLifecycle.Target(command)], targets);
        }
    }

    [Fact]
    public void TheTable_HasARuleForEveryCommand_AndANewCampaignIsADraft()
    {
        Assert.Equal(Enum.GetValues<CampaignCommand>().Order(), CampaignLifecycle.Rules.Keys.Order());
        Assert.Equal(CampaignStatus.Draft, CampaignLifecycle.NewDraft("n", 1, "t", "a@shop.test", Now).Status);
    }

    [Fact]
    public void TheTransitions_KeepTheirSideEffectsOnTheCampaign()
    {
        var scheduled = CampaignIn(CampaignStatus.Draft);
        scheduled.ReconciledAt = Now;
        CampaignLifecycle.Schedule(scheduled, Now.AddDays(1), "Asia/Kolkata", Now);
        Assert.Equal((CampaignStatus.Scheduled, Now.AddDays(1), "Asia/Kolkata", Now, (DateTime?)null),
            (scheduled.Status, scheduled.ScheduledAt, scheduled.TimeZone, scheduled.UpdatedAt, scheduled.ReconciledAt));

        var edited = CampaignIn(CampaignStatus.Scheduled);
        CampaignLifecycle.Edit(edited, "Renamed", 7, "Hello", Now);
        Assert.Equal((CampaignStatus.Scheduled, "Renamed", (long?)7, "Hello", Now), (edited.Status, edited.Name, edited.SegmentId, edited.Template, edited.UpdatedAt));

        var sending = CampaignIn(CampaignStatus.Sending);
        Assert.Throws<CampaignTransitionException>(() => CampaignLifecycle.Edit(sending, "Renamed", 7, "Hello", Now));
        Assert.Equal("Ten percent off", sending.Name);
    }

    /// <summary>A campaign brought to <paramref name="status"/> the way the product gets there.</summary>
    private static Campaign CampaignIn(CampaignStatus status)
    {
        var campaign = CampaignLifecycle.NewDraft("Ten percent off", 1, "Hi {{ customer.name }}", "a@shop.test", Now.AddDays(-1));
        CampaignCommand[] path = status switch
        {
            CampaignStatus.Draft => [],
            CampaignStatus.Scheduled => [CampaignCommand.Schedule],
            CampaignStatus.Sending => [CampaignCommand.SendNow, CampaignCommand.Start],
            CampaignStatus.Completed => [CampaignCommand.SendNow, CampaignCommand.Start, CampaignCommand.Complete],
            CampaignStatus.Cancelled => [CampaignCommand.Schedule, CampaignCommand.Cancel],
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
        };
        foreach (var command in path)
        {
            campaign.Apply(command);
        }
        Assert.Equal(status, campaign.Status);
        return campaign;
    }
}
