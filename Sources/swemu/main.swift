print("swemu")
