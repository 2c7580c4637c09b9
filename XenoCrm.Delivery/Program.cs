// The simulated message vendor arrives with the campaigns issue; until then this host only
// answers its health check, so that deployments can already place it.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddHealthChecks();
var app = builder.Build();
app.MapHealthChecks("/health/live");
await app.RunAsync();
