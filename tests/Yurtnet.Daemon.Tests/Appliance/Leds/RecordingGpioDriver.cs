using System.Device.Gpio;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

/// <summary>A GPIO chip in memory: records every line write, as iot's test drivers do.</summary>
internal sealed class RecordingGpioDriver : GpioDriver
{
    public List<(int Line, PinValue Value)> Writes { get; } = [];
    public HashSet<int> Open { get; } = [];

    protected override int PinCount => 32;

    /// <summary>A line another program holds: opening it fails, as libgpiod's "Device or resource busy".</summary>
    public int? BusyLine { get; init; }

    public bool Disposed { get; private set; }

    protected override void OpenPin(int pinNumber)
    {
        if (pinNumber == BusyLine)
        {
            throw new IOException($"line {pinNumber}: Device or resource busy");
        }

        Open.Add(pinNumber);
    }

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    protected override void ClosePin(int pinNumber) => Open.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
    }

    protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => Writes.LastOrDefault(w => w.Line == pinNumber).Value;

    protected override void Write(int pinNumber, PinValue value) => Writes.Add((pinNumber, value));

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => default;

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
    }
}
