# hive-hci: the hci actor (controller transports: H4 over tcp, unix and
# serial, H5 over serial, USB through libusb-1.0, which PKG_LIBS links).
HCI_PURE_SRCS := actors/hci/hci_spec.c actors/hci/h4.c actors/hci/h5_codec.c \
	actors/hci/h5.c actors/hci/hci_queue.c actors/hci/usb_desc.c actors/hci/usb_path.c

PROGRAMS += hive-hci
hive-hci_SRCS := actors/hci/hci_main.c actors/hci/hci_actor.c \
	actors/hci/transport_stream.c actors/hci/stream_open.c \
	actors/hci/transport_usb.c $(HCI_PURE_SRCS)
hive-hci_LIBS :=

# Unit tests link the pure halves; the end-to-end ones run hive-hci.
test_hci_spec_SRCS := actors/hci/hci_spec.c
test_hci_h4_SRCS := actors/hci/h4.c actors/hci/hci_queue.c
test_hci_h5_SRCS := actors/hci/h5_codec.c actors/hci/h5.c
test_hci_usb_SRCS := actors/hci/usb_desc.c actors/hci/usb_path.c actors/hci/h4.c
test_hci_e2e_SRCS := actors/hci/h4.c
test_hci_h5_pty_SRCS := actors/hci/h4.c actors/hci/h5_codec.c actors/hci/h5.c

fuzz_h4_SRCS := actors/hci/h4.c
fuzz_h5_SRCS := actors/hci/h5_codec.c actors/hci/h5.c
