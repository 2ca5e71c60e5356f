## Alveo U250: clocks and the reset the Homa NIC project constrains. Pin locations of the PCIe
## and QSFP28 interfaces come from the board part (xilinx.com:au250), which the generated Tcl
## selects, through the XDMA and CMAC IPs' board interfaces (pci_express, qsfp0_4x).
create_clock -name pcie_refclk -period 10.000 [get_ports pcie_refclk_clk_p]
create_clock -name qsfp0_refclk -period 6.400 [get_ports qsfp0_156mhz_clk_p]
set_false_path -from [get_ports pcie_perstn]
