using XenoCrm.Core.Campaigns;

namespace XenoCrm.Core.Tests.Campaigns;

public sealed class DeliveryFailuresTests
{
    [Theory]
    [InlineData("Invalid address", true)]
    [InlineData("Recipient unknown", true)]
    [InlineData("Rejected as spam", true)]
    [InlineData("Template: 'customer.nme' is not a field", true)]
    [InlineData("Mailbox full", false)]
    [InlineData("Relay busy, try again later", false)]
    [InlineData(null, false)]
    public void IsPermanent_ClassifiesTheReason(string? reason, bool permanent)
    {
        Assert.Equal(permanent, DeliveryFailures.IsPermanent(reason));
        var row = new CommunicationLogEntry { Status = MessageStatus.Failed, FailureReason = reason };
        Assert.Equal(!permanent, DeliveryFailures.IsRetryable.Compile()(row));
    }
}
