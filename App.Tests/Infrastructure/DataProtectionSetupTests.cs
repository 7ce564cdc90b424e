using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Automations.Data;
using Automations.Features.Secrets;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Automations.Tests.Infrastructure;

public class DataProtectionSetupTests
{
    private const string PfxPassword = "pfx-password-1";

    [Fact]
    public async Task With_a_certificate_the_keys_rest_encrypted_and_secrets_still_read_back_after_a_restart()
    {
        using var data = new TestDirectory();
        var pfx = WriteSelfSignedPfx(data.Path);
        var withCertificate = new Dictionary<string, string?>
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["DataProtection:Certificate:Path"] = pfx,
            ["DataProtection:Certificate:Password"] = PfxPassword,
        };

        await using (var first = new AppFactory(withCertificate, data.Path))
        {
            var team = await first.CreateTeamAsync();
            using var scope = first.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<SecretService>().CreateAsync(team.Admin, team.Slug, "API_TOKEN", "tok-7d1e-value");
        }

        var keyFiles = Directory.GetFiles(Path.Combine(data.Path, "keys"), "*.xml");
        Assert.NotEmpty(keyFiles);
        foreach (var file in keyFiles)
        {
            var xml = await File.ReadAllTextAsync(file);
            Assert.Contains("<encryptedSecret", xml);
            Assert.DoesNotContain("<masterKey", xml);
        }

        await using var restarted = new AppFactory(withCertificate, data.Path);
        Assert.Equal("tok-7d1e-value", (await SecretValuesAsync(restarted))["API_TOKEN"]);

        // The certificate is what opens them: without it the same keys are useless.
        await using var withoutCertificate = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" }, data.Path);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => SecretValuesAsync(withoutCertificate));
    }

    [Fact]
    public async Task Without_protection_the_keys_rest_plain_and_one_information_line_replaces_the_framework_warning()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        await using var logged = app.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(logs)));

        logged.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("value");

        var xml = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys"), "*.xml")));
        Assert.Contains("<masterKey", xml);
        var entries = logs.Entries;
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal) && e.Level >= LogLevel.Warning);
        var notice = Assert.Single(entries, e => e.Message.Contains("stored unencrypted", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, notice.Level);
        Assert.Contains("DataProtection:Certificate:Path", notice.Message);
    }

    [Fact]
    public async Task A_certificate_path_that_does_not_load_stops_the_start_naming_the_setting()
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["DataProtection:Certificate:Path"] = "/no/such/certificate.pfx",
        });

        var error = Record.Exception(() => app.Services);

        Assert.NotNull(error);
        Assert.Contains("DataProtection:Certificate:Path", error.ToString());
    }

    private static async Task<IReadOnlyDictionary<string, string>> SecretValuesAsync(AppFactory app)
    {
        using var scope = app.Services.CreateScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var teamId = await db.Teams.Where(t => t.Slug == "acme").Select(t => t.Id).SingleAsync();
        return await scope.ServiceProvider.GetRequiredService<SecretService>().GetValuesAsync(teamId);
    }

    private static string WriteSelfSignedPfx(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Automations Data Protection test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(directory, "dataprotection.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, PfxPassword));
        return path;
    }

    private sealed record LogEntry(string Category, LogLevel Level, string Message);

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<LogEntry> _entries = [];

        public IReadOnlyList<LogEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (provider._entries)
                {
                    provider._entries.Add(new LogEntry(category, logLevel, formatter(state, exception)));
                }
            }
        }
    }
}
