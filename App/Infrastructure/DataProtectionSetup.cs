using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Automations.Data;
using Microsoft.AspNetCore.DataProtection;

namespace Automations.Infrastructure;

public static class DataProtectionSetup
{
    /// <summary>The framework's warning when keys go to disk unencrypted; <see cref="UnencryptedKeysNotice"/> says it plainly instead.</summary>
    private const string KeyManagerCategory = "Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager";

    /// <summary>
    /// Keys live beside the database (SQLite: in the data folder; PostgreSQL: in the database, shared by every instance),
    /// so a restart or another instance can still decrypt secrets.
    /// They are encrypted at rest with a certificate (DataProtection:Certificate:Path and :Password) or, on Windows, DPAPI
    /// (DataProtection:UseDpapi); with neither, they rest unencrypted, guarded by who may read the data folder or the database.
    /// </summary>
    public static IServiceCollection AddAppDataProtection(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("Automations");
        string keys;
        if (DatabaseStartup.Provider(configuration) == DatabaseProvider.Postgres)
        {
            // Every instance reads and writes one key ring: each decrypts the team secrets and accepts the cookies of the others.
            keys = "the database table \"DataProtectionKeys\"";
            dataProtection.PersistKeysToDbContext<AppDbContext>();
        }
        else
        {
            keys = Path.Combine(DataPaths.DataDirectory(configuration, environment), "keys");
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keys));
        }

        var certificatePath = configuration["DataProtection:Certificate:Path"];
        var useDpapi = configuration.GetValue("DataProtection:UseDpapi", false);
        if (!string.IsNullOrWhiteSpace(certificatePath) && useDpapi)
        {
            throw new InvalidOperationException("Set either DataProtection:Certificate:Path or DataProtection:UseDpapi, not both.");
        }

        if (!string.IsNullOrWhiteSpace(certificatePath))
        {
            dataProtection.ProtectKeysWithCertificate(LoadCertificate(certificatePath, configuration["DataProtection:Certificate:Password"]));
        }
        else if (useDpapi)
        {
            if (!OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("DataProtection:UseDpapi works on Windows only; elsewhere set DataProtection:Certificate:Path.");
            }

            dataProtection.ProtectKeysWithDpapi();
        }
        else
        {
            services.Configure<LoggerFilterOptions>(options => options.AddFilter(KeyManagerCategory, LogLevel.Error));
            services.AddHostedService(provider => new UnencryptedKeysNotice(keys, provider.GetRequiredService<ILogger<UnencryptedKeysNotice>>()));
        }

        return services;
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException(
                $"DataProtection:Certificate:Path '{path}' could not be loaded as a PKCS#12 (.pfx) file with DataProtection:Certificate:Password: {ex.Message}", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"DataProtection:Certificate:Path '{path}' has no private key; the keys could be encrypted but never read back.");
        }

        return certificate;
    }

    /// <summary>One plain line at start instead of the framework's alarming per-key warning, naming the setting that changes it.</summary>
    private sealed class UnencryptedKeysNotice(string keys, ILogger<UnencryptedKeysNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogInformation(
                "Data Protection keys in {KeysLocation} are stored unencrypted: whoever can read them can decrypt the team secrets. " +
                "Set DataProtection:Certificate:Path (and DataProtection:Certificate:Password) to encrypt them with a certificate, " +
                "or DataProtection:UseDpapi=true on Windows.", keys);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
