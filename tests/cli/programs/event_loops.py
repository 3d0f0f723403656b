"""Small event loops for inspect_waits_test: each waits on descriptors it inherited, prints
"waiting" once it sleeps in its loop, and prints "got <hex>" for every chunk it reads, so that
the test can check it received exactly the bytes sent (inspect read nothing).

Modes (argv[1]):
  epoll     selectors.EpollSelector on fd 3, no timeout
  poll      selectors.PollSelector on fd 3, a 30 s timeout per wait
  forgot    EpollSelector: fds 3 and 4 registered, fd 4 unregistered; a line "again" on fd 3
            registers fd 4 again
  stale     select.epoll: fd 5 (a dup of fd 3) registered, then moved to another number
  writable  EpollSelector watching fd 3 for writing (always writable), 10 ms naps between waits
  unsent    writes 4096 bytes to fd 3, then waits for fd 3 to be readable
  elsewhere EpollSelector on fd 3, but sleeps in signal.pause() until SIGUSR1, then loops
"""
import os
import select
import selectors
import signal
import sys
import time


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def reader_loop(selector, timeout=None, on_line=None):
    say("waiting")
    while True:
        for key, _ in selector.select(timeout):
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fd)
                continue
            say("got %d %s" % (key.fd, data.hex()))
            if on_line:
                on_line(data)


def main():
    mode = sys.argv[1]
    if mode == "epoll":
        selector = selectors.EpollSelector()
        selector.register(3, selectors.EVENT_READ)
        reader_loop(selector)
    elif mode == "poll":
        selector = selectors.PollSelector()
        selector.register(3, selectors.EVENT_READ)
        reader_loop(selector, timeout=30)
    elif mode == "forgot":
        selector = selectors.EpollSelector()
        selector.register(3, selectors.EVENT_READ)
        selector.register(4, selectors.EVENT_READ)
        selector.unregister(4)

        def again(data):
            if data.endswith(b"again\n"):
                selector.register(4, selectors.EVENT_READ)

        reader_loop(selector, on_line=again)
    elif mode == "stale":
        poller = select.epoll()
        os.dup2(3, 5)
        poller.register(5, select.EPOLLIN)
        os.dup2(5, 6)
        os.close(5)
        say("waiting")
        poller.poll()
    elif mode == "writable":
        selector = selectors.EpollSelector()
        selector.register(3, selectors.EVENT_WRITE)
        say("waiting")
        while True:
            selector.select()
            time.sleep(0.01)
    elif mode == "elsewhere":
        selector = selectors.EpollSelector()
        selector.register(3, selectors.EVENT_READ)
        signal.signal(signal.SIGUSR1, lambda number, frame: None)
        say("waiting")
        signal.pause()
        reader_loop(selector)
    elif mode == "unsent":
        os.write(3, b"x" * 4096)
        selector = selectors.EpollSelector()
        selector.register(3, selectors.EVENT_READ)
        reader_loop(selector)


main()
