using System.Reflection;

namespace Automations.Infrastructure;

public static class ProductInfo
{
    public static readonly string Version =
        typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static readonly string UserAgent = $"Automations-Webhooks/{Version}";
}
