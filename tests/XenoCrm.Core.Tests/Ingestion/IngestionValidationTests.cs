using XenoCrm.Core.Ingestion;
using XenoCrm.Core.Validation;

namespace XenoCrm.Core.Tests.Ingestion;

public sealed class IngestionValidationTests
{
    private static readonly DateTime Now = new(2026, 12, 4, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Customer_ComesBackNormalized()
    {
        var errors = new ValidationErrors();
        var record = IngestionValidation.Customer(
            new CustomerRecord(" c-1 ", " Asha@Example.COM ", " Asha Rao ", City: "  ", SignedUpAt: new DateTime(2026, 1, 15, 9, 30, 0, DateTimeKind.Unspecified)),
            "", errors);

        Assert.False(errors.Any);
        Assert.Equal(new CustomerRecord("c-1", "asha@example.com", "Asha Rao", null, null, null, new DateTime(2026, 1, 15, 9, 30, 0, DateTimeKind.Utc)), record);
        Assert.Equal(DateTimeKind.Utc, record!.SignedUpAt!.Value.Kind);
    }

    [Fact]
    public void Customer_NamesEveryMistake_UnderItsPath()
    {
        var errors = new ValidationErrors();
        var record = IngestionValidation.Customer(
            new CustomerRecord(new string('x', 101), "a@@b", "", Phone: new string('1', 41), SignedUpAt: new DateTime(1800, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            "items[2]", errors);

        Assert.Null(record);
        Assert.Equal(
            ["items[2].email", "items[2].externalId", "items[2].name", "items[2].phone", "items[2].signedUpAt"],
            errors.ByField().Keys.Order());
    }

    [Fact]
    public void Order_DefaultsItsTimeToNow_AndNeedsACustomer()
    {
        var errors = new ValidationErrors();
        Assert.Equal(new OrderRecord("o-1", null, "v@example.com", 250m, Now),
            IngestionValidation.Order(new OrderRequest("o-1", null, "V@example.com", 250m, null), "", errors, Now));
        Assert.False(errors.Any);

        Assert.Null(IngestionValidation.Order(new OrderRequest("o-2", " ", null, 5m, null), "", errors, Now));
        Assert.Contains("customerEmail", errors.ByField()["customerExternalId"].Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-5, "zero or more")]
    [InlineData(1.005, "two decimal places")]
    public void Order_RefusesAmountsThatAreNoMoney(double amount, string reason)
    {
        var errors = new ValidationErrors();
        Assert.Null(IngestionValidation.Order(new OrderRequest("o-1", "c-1", null, (decimal)amount, null), "", errors, Now));
        Assert.Contains(reason, errors.ByField()["amount"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Order_RequiresItsIdAndAmount()
    {
        var errors = new ValidationErrors();
        Assert.Null(IngestionValidation.Order(new OrderRequest(null, "c-1", null, null, null), "", errors, Now));
        Assert.Equal(["amount", "externalId"], errors.ByField().Keys.Order());
    }
}
