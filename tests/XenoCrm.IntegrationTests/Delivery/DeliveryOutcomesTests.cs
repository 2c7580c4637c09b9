using XenoCrm.Delivery;
using XenoCrm.ServiceDefaults.Messaging;

namespace XenoCrm.IntegrationTests.Delivery;

public sealed class DeliveryOutcomesTests
{
    private static readonly string[] Ids = [.. Enumerable.Range(1, 20_000).Select(i => DeliveryMessageId.Format(i, 1))];

    [Fact]
    public void Decide_GivesTheSameOutcomeAndReason_ForTheSameIdAndSeed()
    {
        foreach (var id in Ids.Take(2_000))
        {
            Assert.Equal(DeliveryOutcomes.Decide(id, 42, 0.9), DeliveryOutcomes.Decide(id, 42, 0.9));
        }
    }

    [Fact]
    public void Decide_SendsAboutTheSuccessRate_Over20000Ids()
    {
        var sent = Ids.Count(id => DeliveryOutcomes.Decide(id, 42, 0.9).Outcome == DeliveryOutcome.Sent);

        Assert.InRange(sent / (double)Ids.Length, 0.885, 0.915);
    }

    [Fact]
    public void Decide_GivesFailedMessagesEveryReasonOfTheList_AndSentOnesNone()
    {
        var decisions = Ids.Select(id => DeliveryOutcomes.Decide(id, 42, 0.9)).ToList();

        Assert.All(decisions.Where(d => d.Outcome == DeliveryOutcome.Sent), d => Assert.Null(d.Reason));
        var reasons = decisions.Where(d => d.Outcome == DeliveryOutcome.Failed).Select(d => d.Reason!).ToHashSet();
        Assert.Equal(DeliveryOutcomes.FailureReasons.ToHashSet(), reasons);
    }

    [Fact]
    public void Decide_ChangesOutcomes_WithTheSeed()
    {
        var changed = Ids.Count(id => DeliveryOutcomes.Decide(id, 42, 0.9).Outcome != DeliveryOutcomes.Decide(id, 43, 0.9).Outcome);

        // Two independent 90/10 draws differ with probability 2 * 0.9 * 0.1 = 18 %.
        Assert.InRange(changed / (double)Ids.Length, 0.15, 0.21);
    }

    [Theory]
    [InlineData(0.0, DeliveryOutcome.Failed)]
    [InlineData(1.0, DeliveryOutcome.Sent)]
    public void Decide_GivesOneOutcome_AtTheExtremeRates(double successRate, DeliveryOutcome only)
    {
        Assert.All(Ids.Take(2_000), id => Assert.Equal(only, DeliveryOutcomes.Decide(id, 7, successRate).Outcome));
    }
}
