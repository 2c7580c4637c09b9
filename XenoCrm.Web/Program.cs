using Hangfire;
using XenoCrm.Core.Data;
using XenoCrm.ServiceDefaults.Health;
using XenoCrm.Web.Seeding;
using XenoCrm.ServiceDefaults.Telemetry;
using XenoCrm.Web;
using XenoCrm.Web.Api;
using XenoCrm.Web.Authentication;
using XenoCrm.Core.Campaigns;
using XenoCrm.Web.Operations;
using XenoCrm.ServiceDefaults.Messaging;

var operatorCommand = OperatorCommandLine.Parse(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = operatorCommand.HostArgs, ContentRootPath = AppContext.BaseDirectory });
builder.AddCrmDatabase();
builder.AddMessageBus();
builder.AddCrmTelemetry();
builder.AddRoles();
builder.AddCampaignCommands();
builder.AddSharedDataProtection();
builder.AddCrmAuthentication();
builder.AddApiKeyAuthentication();
builder.AddApiRateLimiting();
builder.AddApiReference();
builder.AddCrmPages();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();

var app = builder.Build();
if (operatorCommand.IsGiven) return await operatorCommand.RunAsync(app.Services);
await app.Services.MigrateCrmDatabaseAsync();
await app.Services.SeedDemoDataIfEmptyAsync(app.Configuration);
app.UseExceptionHandler();
if (!app.Environment.IsDevelopment())
{
    app.UseHsts();
}
app.UseSecurityHeaders();
app.UseStatusCodePages();
app.UseCrmErrorPages();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapCrmHealthChecks();
app.MapCrmMetrics();
app.MapMachineApi();
app.MapApiReference();
app.MapCrmPages();
app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], DashboardTitle = "XenoCrm jobs", AppPath = "/" })
    .RequireAuthorization(AuthPolicies.Admin);
await app.RunAsync();
return 0;
