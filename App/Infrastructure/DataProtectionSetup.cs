using Automations.Data;
using Microsoft.AspNetCore.DataProtection;

namespace Automations.Infrastructure;

public static class DataProtectionSetup
{
    /// <summary>Keys live beside the database, so a restart (or a second instance on the same data) can still decrypt secrets.</summary>
    public static IServiceCollection AddAppDataProtection(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var keys = Path.Combine(DataPaths.DataDirectory(configuration, environment), "keys");
        services.AddDataProtection()
            .SetApplicationName("Automations")
            .PersistKeysToFileSystem(new DirectoryInfo(keys));
        return services;
    }
}
