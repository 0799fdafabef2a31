"""How fast this CPU multiplies matrices, and how close to that each Conv4 convolution runs: what no driver can beat.

    python bench/roofline.py
    OMP_NUM_THREADS=1 python bench/roofline.py

A meta-iteration is mostly convolutions, and every driver calls the same oneDNN kernels for them, so they bound
how much faster one driver can be than another. This times two large float32 matrix products, one through PyTorch's
BLAS (MKL on x86, which on AMD CPUs may not use their widest vectors) and one through oneDNN, the library of the
convolutions (as a 1x1 convolution), and then each of Conv4-64's four convolutions at the benchmark's shapes
(Omniglot 28x28, 25 support and 75 query images), forward and backward (the first layer's backward computes only the
weight gradient: the images need none), in PyTorch's default layout, medians of 20 after 3 warm-ups. FLOPs count
every tap, the padding's included. Prints a table: a convolution far below the products is one that runs below what
this CPU does on large problems.
"""
import statistics, time
import torch
import torch.nn.functional as F
from hidra_nb.training import keep_freed_memory

def median_seconds(fn, repeats=20, warm_up=3)->float:
    for _ in range(warm_up): fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)

def matmul_gflops(n=2048)->float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / median_seconds(lambda: a @ b) / 1e9

def onednn_matmul_gflops(n=2048)->float:
    "The same product as `matmul_gflops`, as a 1x1 convolution of n channels at n positions, so that oneDNN computes it."
    x, w = torch.randn(1, n, n // 32, 32), torch.randn(n, n, 1, 1)
    return 2 * n**3 / median_seconds(lambda: F.conv2d(x, w)) / 1e9

def conv_gflops(images, channels_in, size, channels_out=64)->tuple: # (forward, backward) GFLOP/s
    x = torch.randn(images, channels_in, size, size, requires_grad=channels_in > 1)
    w = torch.randn(channels_out, channels_in, 3, 3, requires_grad=True)
    b = torch.randn(channels_out, requires_grad=True)
    flop = 2 * images * size * size * channels_out * channels_in * 9  # one pass; a backward pass makes one per input that needs it
    grad_out = torch.randn(images, channels_out, size, size)
    forward = median_seconds(lambda: F.conv2d(x, w, b, padding=1))
    both = median_seconds(lambda: F.conv2d(x, w, b, padding=1).backward(grad_out))
    backward_flop = flop * (1 + x.requires_grad)
    return flop / forward / 1e9, backward_flop / max(both - forward, 1e-9) / 1e9

def main():
    keep_freed_memory()
    torch.manual_seed(0)
    print(f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"float32 matrix product, 2048x2048: {matmul_gflops():.1f} GFLOP/s through PyTorch's BLAS, "
          f"{onednn_matmul_gflops():.1f} through oneDNN (a 1x1 convolution)")
    print("Conv4-64 convolution (3x3, padding 1)   images   forward GFLOP/s   backward GFLOP/s")
    for layer, (channels_in, size) in enumerate(((1, 28), (64, 14), (64, 7), (64, 3)), 1):
        for images in (25, 75):
            fwd, bwd = conv_gflops(images, channels_in, size)
            print(f"layer {layer}: {channels_in:2d} -> 64 channels at {size:2d}x{size:<2d}        {images:3d}   {fwd:15.1f}   {bwd:16.1f}")

if __name__ == '__main__':
    import argparse
    argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog="It takes no options: set OMP_NUM_THREADS to time fewer threads.").parse_args()
    main()
