using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using XenoCrm.Core.Data;
using XenoCrm.Delivery;
using XenoCrm.TestServers;
using XenoCrm.Web;
using XenoCrm.Core.BackgroundJobs;
using YamlDotNet.RepresentationModel;
using XenoCrm.ServiceDefaults.Messaging;
using XenoCrm.ServiceDefaults.Telemetry;

namespace XenoCrm.IntegrationTests.Operations;

/// <summary>
/// docker-compose.yml and the Dockerfiles, checked against the code they deploy. No Docker engine is needed:
/// <c>docker-compose config</c> validates the file and prints it normalized (anchors merged, variables
/// interpolated), and YamlDotNet reads that output, so these tests see what Compose would run.
/// </summary>
public sealed partial class ComposeFileTests(ComposeFileTests.Compose compose) : IClassFixture<ComposeFileTests.Compose>
{
    private static readonly string[] AppServices = ["web", "workers", "delivery"];

    [Fact]
    public void Config_DefinesEveryServiceTheProductNeeds_WithTwoWorkers()
    {
        Assert.Equal(0, compose.ExitCode);
        Assert.Equal(["delivery", "mysql", "rabbitmq", "redis", "web", "workers"], compose.Services.Keys.Order());
        Assert.StartsWith("mysql:8", compose.Scalar("mysql", "image"), StringComparison.Ordinal);
        Assert.Contains(compose.Sequence("mysql", "command"), a => a.StartsWith("--innodb-buffer-pool-size=", StringComparison.Ordinal));
        Assert.Matches("^rabbitmq:3[.0-9]*-management$", compose.Scalar("rabbitmq", "image"));
        Assert.Equal("--appendonly yes", string.Join(' ', compose.Sequence("redis", "command").SkipWhile(a => a != "--appendonly").Take(2)));
        Assert.Equal("2", compose.Scalar("workers", "deploy", "replicas"));
        // One Dockerfile shape: the root one, its PROJECT argument naming each service's executable.
        foreach (var (service, project) in new[] { ("web", "XenoCrm.Web"), ("workers", "XenoCrm.Workers"), ("delivery", "XenoCrm.Delivery") })
        {
            Assert.Equal("Dockerfile", compose.Scalar(service, "build", "dockerfile"));
            Assert.Equal(project, compose.Scalar(service, "build", "args", "PROJECT"));
        }
        // Web is the one way in; Workers and Delivery answer only on the services' network.
        Assert.Equal(["web"], AppServices.Where(s => compose.Services[s].Children.ContainsKey(new YamlScalarNode("ports"))));
    }

    [Fact]
    public void Config_StartsEachServiceOnlyOnceWhatItNeedsIsHealthy()
    {
        var needs = new Dictionary<string, string[]>
        {
            ["web"] = ["mysql", "rabbitmq", "redis"],
            ["workers"] = ["delivery", "mysql", "rabbitmq", "redis"],
            ["delivery"] = ["rabbitmq"],
        };
        foreach (var (service, dependencies) in needs)
        {
            var dependsOn = (YamlMappingNode)compose.Services[service]["depends_on"];
            Assert.Equal(dependencies, dependsOn.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
            Assert.All(dependencies, d => Assert.Equal("service_healthy", compose.Scalar(service, "depends_on", d, "condition")));
        }
        foreach (var service in new[] { "mysql", "rabbitmq", "redis" })
        {
            Assert.NotEmpty(compose.Sequence(service, "healthcheck", "test"));
        }
        // The app services' health checks come with their images.
        Assert.All(AppServices, s => Assert.Contains("HEALTHCHECK", Dockerfile(compose.Scalar(s, "build", "dockerfile")), StringComparison.Ordinal));
    }

    [Fact]
    public void Environment_OfEachAppService_HoldsOnlySettingsThatServiceReads()
    {
        var failures = new List<string>();
        foreach (var service in AppServices)
        {
            var known = KnownSettings(service);
            foreach (var variable in compose.Environment(service).Keys)
            {
                var key = IndexPattern().Replace(variable, "__#");
                var framework = variable.StartsWith("Logging__", StringComparison.Ordinal)
                    || variable.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                    || variable.StartsWith("DOTNET_", StringComparison.Ordinal);
                if (!framework && !known.Contains(key))
                {
                    failures.Add($"{service}: {variable}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"Set in docker-compose.yml but read by no options class of the service:\n{string.Join('\n', failures)}");
        // The enumeration must see the options, or the check above would pass on nothing.
        Assert.Contains("Auth__AllowedDomains__#", KnownSettings("web"));
        Assert.Contains("Delivery__BaseUrl", KnownSettings("workers"));
        Assert.Contains("DeliverySimulation__Seed", KnownSettings("delivery"));
        Assert.DoesNotContain("Auth__DevelopmentSignIn", KnownSettings("workers"));
        Assert.Contains("Management__Port", KnownSettings("delivery"));
    }

    [Fact]
    public void Credentials_ComeFromTheOperator_NeverTheServersDefaults()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "docker-compose.yml"));
        Assert.DoesNotContain("guest", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("MYSQL_ALLOW_EMPTY_PASSWORD", text, StringComparison.Ordinal);

        var mysql = compose.Environment("mysql");
        Assert.Equal(compose.Secrets["MYSQL_ROOT_PASSWORD"], mysql["MYSQL_ROOT_PASSWORD"]);
        Assert.Equal(compose.Secrets["MYSQL_PASSWORD"], mysql["MYSQL_PASSWORD"]);
        Assert.NotEqual("root", mysql["MYSQL_USER"]);
        var rabbitMq = compose.Environment("rabbitmq");
        Assert.NotEqual("guest", rabbitMq["RABBITMQ_DEFAULT_USER"]);
        Assert.Equal(compose.Secrets["RABBITMQ_PASSWORD"], rabbitMq["RABBITMQ_DEFAULT_PASS"]);
        Assert.Equal(compose.Secrets["REDIS_PASSWORD"], string.Join(' ', compose.Sequence("redis", "command").SkipWhile(a => a != "--requirepass").Skip(1).Take(1)));

        foreach (var service in new[] { "web", "workers" })
        {
            var environment = compose.Environment(service);
            Assert.Contains($"User ID={mysql["MYSQL_USER"]};Password={compose.Secrets["MYSQL_PASSWORD"]}", environment["ConnectionStrings__Crm"], StringComparison.Ordinal);
            Assert.Contains($"password={compose.Secrets["REDIS_PASSWORD"]}", environment["ConnectionStrings__Redis"], StringComparison.Ordinal);
        }
        foreach (var service in AppServices)
        {
            Assert.StartsWith($"amqp://{rabbitMq["RABBITMQ_DEFAULT_USER"]}:{compose.Secrets["RABBITMQ_PASSWORD"]}@", compose.Environment(service)["ConnectionStrings__RabbitMq"], StringComparison.Ordinal);
        }
        Assert.Equal(compose.Secrets["DELIVERY_API_KEY"], compose.Environment("delivery")["Delivery__ApiKey"]);
        Assert.Equal(compose.Secrets["DELIVERY_API_KEY"], compose.Environment("workers")["Delivery__ApiKey"]);
    }

    [Fact]
    public async Task Config_RefusesTheFile_NamingTheVariable_WhenAPasswordIsNotSet()
    {
        var secrets = new Dictionary<string, string?>(compose.Secrets.ToDictionary(s => s.Key, s => (string?)s.Value)) { ["RABBITMQ_PASSWORD"] = null };

        var (exitCode, output) = await Compose.RunConfigAsync(secrets);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("RABBITMQ_PASSWORD", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web", "XenoCrm.Web")]
    [InlineData("workers", "XenoCrm.Workers")]
    [InlineData("delivery", "XenoCrm.Delivery")]
    public void Dockerfile_PublishesTheServicesProjectOfTheSolution_IntoASmallNonRootImageWithAHealthCheck(string service, string project)
    {
        // The file as Docker reads it for this service: with the service's PROJECT build argument in place.
        var dockerfile = Dockerfile(compose.Scalar(service, "build", "dockerfile"))
            .Replace("${PROJECT}", compose.Scalar(service, "build", "args", "PROJECT"), StringComparison.Ordinal);
        var solutionProjects = SolutionProjectPattern().Matches(File.ReadAllText(Path.Combine(RepoPaths.Root, "XenoCrm.sln")))
            .Select(m => m.Groups[1].Value.Replace('\\', '/')).ToHashSet();

        var published = Assert.Single(PublishPattern().Matches(dockerfile)).Groups[1].Value;
        Assert.Equal($"{project}/{project}.csproj", published);
        Assert.Contains(published, solutionProjects);
        // Every file the build copies from the context exists (a renamed project would break the image, not the build);
        // a pattern may match nothing (the npm probe), but then another source keeps its COPY valid.
        foreach (Match copy in CopyPattern().Matches(dockerfile))
        {
            var sources = copy.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1).ToList();
            var literal = sources.Where(s => s.IndexOfAny(['*', '?', '[']) < 0).ToList();
            Assert.NotEmpty(literal);
            Assert.All(literal, s => Assert.True(Path.Exists(Path.Combine(RepoPaths.Root, s)), $"Dockerfile for {project}: COPY {s}: no such file in the repository."));
        }
        // The whole source tree but tests and bench: the image does not depend on which project references which.
        Assert.Contains("\nCOPY . .\n", dockerfile, StringComparison.Ordinal);
        // The image gets exactly the packages the lock files pin, as the test script does.
        Assert.Contains($"dotnet restore \"{project}/{project}.csproj\" --locked-mode", dockerfile, StringComparison.Ordinal);
        var ignored = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"));
        Assert.Contains("tests/", ignored);
        Assert.Contains("bench/", ignored);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, project, $"{project}.csproj")));
        // npm is installed only for a project with a package.json, which only Web has.
        Assert.Contains("if [ -f /npm-probe/package.json ]", dockerfile, StringComparison.Ordinal);
        Assert.Equal(project == "XenoCrm.Web", File.Exists(Path.Combine(RepoPaths.Root, project, "package.json")));
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        Assert.StartsWith("\nFROM mcr.microsoft.com/dotnet/aspnet:10.0\n", runtime, StringComparison.Ordinal);
        Assert.Contains("\nUSER $APP_UID\n", runtime, StringComparison.Ordinal);
        Assert.Matches(@"\nHEALTHCHECK [^\n]*\\\n[^\n]*/health/live", runtime);
        Assert.Contains($"\nENV XENOCRM_ASSEMBLY=/app/{project}.dll\n", runtime, StringComparison.Ordinal);
        Assert.Contains("exec dotnet \\\"$XENOCRM_ASSEMBLY\\\"", runtime, StringComparison.Ordinal);
    }

    /// <summary>The settings a service's process binds: each options class's section and properties, plus its connection strings.</summary>
    private static HashSet<string> KnownSettings(string service)
    {
        Assembly[] assemblies = service switch
        {
            // Web also hosts the other roles in the embedded mode, so it reads their settings too (the Workers role's are in Core).
            "web" => [typeof(CrmDbContext).Assembly, typeof(DeliveryExtensions).Assembly, typeof(HostedRolesExtensions).Assembly],
            "workers" => [typeof(CrmDbContext).Assembly],
            "delivery" => [typeof(CrmDbContext).Assembly, typeof(DeliveryExtensions).Assembly],
            _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
        };
        // Every process reads what ServiceDefaults gives it (the management port, say).
        assemblies = [.. assemblies, typeof(ManagementOptions).Assembly];
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section)
            {
                AddSettings(known, section, type, depth: 0);
            }
        }
        foreach (var connection in new[] { CrmDatabaseExtensions.ConnectionName, MessageBusExtensions.ConnectionName, HangfireStorageExtensions.RedisConnectionName })
        {
            known.Add($"ConnectionStrings__{connection}");
        }
        return known;
    }

    private static void AddSettings(HashSet<string> known, string prefix, Type type, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = $"{prefix}__{property.Name}";
            if (IsScalar(propertyType))
            {
                if (property.SetMethod is { IsPublic: true })
                {
                    known.Add(key);
                }
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(List<>) && IsScalar(propertyType.GetGenericArguments()[0]))
            {
                known.Add($"{key}__#");
            }
            else if (propertyType.IsClass && depth < 3 && property.SetMethod is { IsPublic: true })
            {
                AddSettings(known, key, propertyType, depth + 1);
            }
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid);

    private static string Dockerfile(string path) => File.ReadAllText(Path.Combine(RepoPaths.Root, path)).ReplaceLineEndings("\n");

    [GeneratedRegex(@"__\d+(?=__|$)")]
    private static partial Regex IndexPattern();

    [GeneratedRegex(@"^Project\(""[^""]+""\) = ""[^""]+"", ""([^""]+\.csproj)""", RegexOptions.Multiline)]
    private static partial Regex SolutionProjectPattern();

    [GeneratedRegex(@"dotnet publish ""?([^\s""]+\.csproj)""?")]
    private static partial Regex PublishPattern();

    [GeneratedRegex(@"^COPY (?!--from)([^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex CopyPattern();

    /// <summary><c>docker-compose config</c> run once, with a random value for every secret the file asks for.</summary>
    public sealed class Compose : IAsyncLifetime
    {
        public IReadOnlyDictionary<string, string> Secrets { get; } = new[]
        {
            "MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "RABBITMQ_PASSWORD", "REDIS_PASSWORD", "DELIVERY_API_KEY",
        }.ToDictionary(name => name, _ => Guid.NewGuid().ToString("N"));

        public int ExitCode { get; private set; }
        public IReadOnlyDictionary<string, YamlMappingNode> Services { get; private set; } = new Dictionary<string, YamlMappingNode>();

        public async Task InitializeAsync()
        {
            var environment = Secrets.ToDictionary(s => s.Key, s => (string?)s.Value);
            environment["XENOCRM_ALLOWED_DOMAIN"] = "shop.test";
            environment["XENOCRM_ADMIN_EMAIL"] = "admin@shop.test";
            var (exitCode, output) = await RunConfigAsync(environment);
            ExitCode = exitCode;
            Assert.True(exitCode == 0, $"docker-compose config refused docker-compose.yml:\n{output}");
            var yaml = new YamlStream();
            yaml.Load(new StringReader(output));
            var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
            Services = services.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => (YamlMappingNode)c.Value);
        }

        public Task DisposeAsync() => Task.CompletedTask;

        public string Scalar(string service, params string[] path) => ((YamlScalarNode)Node(service, path)).Value!;

        public IReadOnlyList<string> Sequence(string service, params string[] path) =>
            ((YamlSequenceNode)Node(service, path)).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

        public IReadOnlyDictionary<string, string> Environment(string service) =>
            ((YamlMappingNode)Node(service, ["environment"])).Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value ?? "");

        private YamlNode Node(string service, string[] path)
        {
            YamlNode node = Services[service];
            foreach (var key in path)
            {
                node = ((YamlMappingNode)node)[key];
            }
            return node;
        }

        /// <summary>
        /// Runs <c>docker-compose config</c> on the repository's file, with <c>.env.example</c> as the operator's
        /// <c>.env</c> (a developer's own .env stays out of it) and <paramref name="environment"/> over it (a null
        /// removes a variable the test process inherited).
        /// </summary>
        public static async Task<(int ExitCode, string Output)> RunConfigAsync(IReadOnlyDictionary<string, string?> environment)
        {
            var startInfo = new ProcessStartInfo("docker-compose")
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "--project-directory", RepoPaths.Root, "--env-file", Path.Combine(RepoPaths.Root, ".env.example"), "-f", "docker-compose.yml", "config" })
            {
                startInfo.ArgumentList.Add(argument);
            }
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
            using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start docker-compose (scripts/test.sh installs it).");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, process.ExitCode == 0 ? await stdout : await stderr + await stdout);
        }
    }
}
