using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Systemd;
using Yurtnet.Daemon.Appliance.Leds;

namespace Yurtnet.Daemon.Appliance;

/// <summary>Registers the Appliance component.</summary>
internal static class ApplianceServiceCollectionExtensions
{
    /// <summary>
    /// The health model, liveness, systemd's notifications and watchdog, the uplink's carrier, the LEDs and (when
    /// configured) the hardware watchdog. Needs <c>AddCniApi</c> and <c>AddReconcile</c> (liveness asks the socket
    /// and watches the reconciler's loop) and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddAppliance(this IServiceCollection services, ApplianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddMetrics();
        services.AddSingleton<HealthModel>();
        services.AddSingleton<Liveness>();
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddSingleton(WatchdogRequest.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId));
        services.AddHostedService<SystemdNotifications>();
        services.AddHostedService<UplinkCarrier>();
        services.AddSingleton<Func<LedOptions, ILedBackend>>(led => OpenLed(led, options.Uplink));
        services.AddSingleton<LedBlinker>();
        services.AddHostedService(sp => sp.GetRequiredService<LedBlinker>());
        if (options.Watchdog is { } watchdog)
        {
            services.AddSingleton(watchdog);
            services.AddSingleton<Func<string, IWatchdogDevice>>(path => LinuxWatchdogDevice.Open(path));
            services.AddHostedService<HardwareWatchdog>();
        }

        return services;
    }

    /// <summary>Opens an LED's backend; the blinker reports one that cannot be opened and runs on without it.</summary>
    private static ILedBackend OpenLed(LedOptions led, string? uplink) => led.Backend switch
    {
        "gpio" when led.LineName is { } lineName => GpioLedBackend.OpenNamed(led.Chip, lineName, led.ActiveLow),
        "gpio" => GpioLedBackend.Open(led.Chip ?? "0", led.Line, led.ActiveLow),
        // LedOptions.Read requires "led" for the ledclass backend.
        "ledclass" => LedClassBackend.Open(led.Led!, led.Role == LedRole.Uplink ? uplink : null),
        "mcp23xxx" => GpioLedBackend.OpenExpander(led.Model, led.Bus, led.Address, led.Line, led.ActiveLow),
        _ => new NoneLedBackend(),
    };
}
